"""An SMS from a notice: one short text within SMS_MAX_SEGMENTS, free of characters that force UCS-2.

Templates: templates/sms/<name>.txt.
"""
from __future__ import annotations

import re

from flask import render_template

from ...settings import setting

# Characters that silently turn a whole SMS into UCS-2 (70 chars a segment instead of 160).
_UCS2_LOOKALIKES = {
    "\xa0": " ", "\u2002": " ", "\u2003": " ", "\u2009": " ", "\u202f": " ",
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"',
    "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2026": "...", "\u2022": "*",
    "\u200b": "", "\u200c": "", "\u200d": "", "\ufeff": "",
}
_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = set("^{}\\[~]|€\f")


def clean_sms_text(text: str) -> str:
    for bad, good in _UCS2_LOOKALIKES.items():
        text = text.replace(bad, good)
    return re.sub(r"[ \t]+", " ", text).strip()


def sms_segments(text: str) -> dict:
    """{"encoding": "GSM-7"|"UCS-2", "characters": n, "segments": n}, as carriers count them."""
    if all(ch in _GSM_BASIC or ch in _GSM_EXTENDED for ch in text):
        units = sum(2 if ch in _GSM_EXTENDED else 1 for ch in text)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, multi, encoding = 70, 67, "UCS-2"
    segments = 0 if units == 0 else 1 if units <= single else -(-units // multi)
    return {"encoding": encoding, "characters": units, "segments": segments}


def _text(name: str, ctx: dict) -> str:
    return clean_sms_text(" ".join(render_template(f"sms/{name}.txt", **ctx).split()))


def render_message(name: str, ctx: dict) -> dict:
    """{"text"} from templates/sms/<name>.txt"""
    return {"text": _text(name, ctx)}


def render_notice(notice) -> dict:
    """{"text"}: short, with the incident link and the opt-out; the body shortened to SMS_MAX_SEGMENTS."""
    max_segments = int(setting("SMS_MAX_SEGMENTS", 4))
    ctx = notice.template_context()
    body = clean_sms_text(notice.body_text)
    while True:
        ctx["body_text"] = body
        text = _text("update", ctx)
        if sms_segments(text)["segments"] <= max_segments or len(body) <= 1:
            return {"text": text}
        cut = max(1, len(body) - max(8, len(body) // 10))
        body = body[:cut].rstrip() + "..."
