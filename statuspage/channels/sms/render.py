"""An SMS from a notice: the essentials first, within SMS_MAX_SEGMENTS, free of characters that force UCS-2.

Templates: templates/sms/<name>.txt. A notice reads: the incident and its
state, what to do (the hotline), the link, then the detail. When it is too
long only the detail is shortened, at a whole character (never between the
halves of a UCS-2 surrogate pair or a GSM-7 escape) and never through a
phone number or a link; what had to go is listed under "cut" for the
admin preview.
"""
from __future__ import annotations

import re

from flask import render_template

from ...extensions import db
from ...models import Setting
from ...phones import phone_spans
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
_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
ELLIPSIS = "..."


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


def protected_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, what) of the phone numbers and links in `text`: a cut never goes through one."""
    spans = [(s, e, text[s:e]) for s, e, _ in phone_spans(text)]
    spans += [(m.start(), m.end(), m.group(0)) for m in _URL.finditer(text)]
    return sorted(spans)


def _cut_point(detail: str, keep: int) -> int:
    """Where to end the detail when at most `keep` characters fit: before a phone number or link it
    would go through, and at a word boundary when one is near."""
    for start, end, _ in protected_spans(detail):
        if start < keep < end:
            keep = start
    space = detail.rfind(" ", 0, keep + 1)
    if space > keep - 20 and space > 0:
        keep = space
    return max(0, keep)


def render_notice(notice) -> dict:
    """{"text", "cut"}: the link and the what-to-do line always; the detail shortened to SMS_MAX_SEGMENTS.

    "cut" lists the phone numbers, links and placeholder values of the detail that did not fit.
    """
    max_segments = int(setting("SMS_MAX_SEGMENTS", 4))
    ctx = notice.template_context()
    ctx["action_text"] = clean_sms_text(" ".join(notice.action_text.split()))
    detail = clean_sms_text(" ".join(notice.detail_text.split()))

    def with_detail(text: str) -> str:
        ctx["detail_text"] = text
        return _text("update", ctx)

    full = with_detail(detail)
    if sms_segments(full)["segments"] <= max_segments or not detail:
        return {"text": full, "cut": []}
    lo, hi = 0, len(detail)  # the longest prefix that fits, by whole characters
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if sms_segments(with_detail(detail[:mid].rstrip() + ELLIPSIS))["segments"] <= max_segments:
            lo = mid
        else:
            hi = mid - 1
    keep = _cut_point(detail, lo)
    kept = detail[:keep].rstrip()
    text = with_detail(kept + ELLIPSIS if kept else "")
    return {"text": text, "cut": lost_values(detail, kept)}


def lost_values(detail: str, kept: str) -> list[str]:
    """The phone numbers, links and placeholder values in `detail` that are not in `kept`."""
    lost = [what for start, _, what in protected_spans(detail) if start >= len(kept)]
    row = db.session.get(Setting, "placeholders")
    values = row.value if row is not None and isinstance(row.value, dict) else {}
    for value in values.values():
        value = clean_sms_text(str(value or ""))
        if value and value in detail and value not in kept and value not in lost:
            lost.append(value)
    return lost
