"""Render notices per channel and locale from templates.

Used by the worker and by the admin preview, so the preview is exactly what
subscribers get.
"""
from __future__ import annotations

import json
import re
from urllib.parse import quote

from flask import current_app, render_template
from flask_babel import force_locale

from ..markdown import markdown_to_text, render_markdown
from . import setting

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


def _labels(incident, update):
    from ..templating import IMPACT_LABELS, INCIDENT_STATUS_LABELS

    return str(INCIDENT_STATUS_LABELS.get(update.status, update.status)), str(IMPACT_LABELS.get(incident.impact, incident.impact))


def _base_url() -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/")


def incident_url(incident) -> str:
    return f"{_base_url()}/incidents/{incident.id}"


def subscriber_links(subscriber) -> dict:
    token = subscriber.token if subscriber is not None else "PREVIEW"
    base = _base_url()
    return {"unsubscribe_url": f"{base}/unsubscribe/{token}", "manage_url": f"{base}/subscriptions/manage/{token}",
            "token": token}


def _context(incident, update, locale: str) -> dict:
    status_label, impact_label = _labels(incident, update)
    body = update.localized_body(locale)
    return {
        "site_name": current_app.config.get("SITE_NAME", "Status"),
        "incident": incident,
        "update": update,
        "locale": locale,
        "incident_name": incident.localized_name(locale),
        "status_label": status_label,
        "impact_label": impact_label,
        "body_text": markdown_to_text(body),
        "body_html": render_markdown(body),
        "incident_url": incident_url(incident),
    }


def _one_line(text: str) -> str:
    return " ".join(text.split())


def list_unsubscribe_headers(subscriber) -> dict:
    """RFC 2369 + RFC 8058: a one-click URL and a mailto fallback."""
    links = subscriber_links(subscriber)
    sender = current_app.config.get("MAIL_DEFAULT_SENDER") or "status@localhost"
    mailbox = sender.rsplit("<", 1)[-1].rstrip(">").strip()
    mailto = f"mailto:{mailbox}?subject={quote('unsubscribe ' + links['token'])}"
    return {"List-Unsubscribe": f"<{links['unsubscribe_url']}>, <{mailto}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


# A worker sends the same notice to thousands of subscribers: render it once per
# (incident and update as they are now, locale) and put each subscriber's token in.
# The stand-in is plain alphanumerics, so escaping and URL quoting leave it intact.
_TOKEN_STAND_IN = "sptokenstandin7c1e"
_rendered_emails: dict[tuple, dict] = {}


def render_update_email(incident, update, locale: str = "en", subscriber=None) -> dict:
    """{"subject": str, "text": str, "html": str, "headers": {...}} for one update."""
    if subscriber is None:
        return _render_update_email(incident, update, locale, None)
    key = (incident.id, incident.updated_at, update.id, update.updated_at, locale, _base_url(),
           current_app.config.get("MAIL_DEFAULT_SENDER"), current_app.config.get("SITE_NAME"))
    shared = _rendered_emails.get(key)
    if shared is None:
        shared = _render_update_email(incident, update, locale, _StandIn())
        if len(_rendered_emails) >= 64:
            _rendered_emails.clear()
        _rendered_emails[key] = shared
    token = subscriber.token

    def personal(value: str) -> str:
        return value.replace(_TOKEN_STAND_IN, token)

    return {"subject": shared["subject"], "text": personal(shared["text"]), "html": personal(shared["html"]),
            "headers": {name: personal(value) for name, value in shared["headers"].items()}}


class _StandIn:
    token = _TOKEN_STAND_IN


def _render_update_email(incident, update, locale: str, subscriber) -> dict:
    with force_locale(locale):
        ctx = _context(incident, update, locale)
        ctx.update(subscriber_links(subscriber))
        subject = _one_line(render_template("emails/update.subject", **ctx))
        text = render_template("emails/update.txt", **ctx).strip() + "\n"
        html = render_template("emails/update.html", **ctx)
    return {"subject": subject, "text": text, "html": html, "headers": list_unsubscribe_headers(subscriber)}


def render_update_sms(incident, update, locale: str = "en") -> str:
    """Short, with the incident link and the opt-out; the body shortened to SMS_MAX_SEGMENTS."""
    max_segments = int(setting("SMS_MAX_SEGMENTS", 4))
    with force_locale(locale):
        ctx = _context(incident, update, locale)
        body = clean_sms_text(ctx["body_text"])
        while True:
            ctx["body_text"] = body
            text = clean_sms_text(_one_line(render_template("sms/update.txt", **ctx)))
            if sms_segments(text)["segments"] <= max_segments or len(body) <= 1:
                return text
            cut = max(1, len(body) - max(8, len(body) // 10))
            body = body[:cut].rstrip() + "..."


def render_update_webhook(incident, update, locale: str = "en") -> dict:
    """The JSON a webhook subscriber receives."""
    return {
        "type": "incident.update",
        "incident": {
            "id": incident.id, "name": incident.localized_name(locale), "status": incident.status,
            "impact": incident.impact, "kind": incident.kind, "url": incident_url(incident),
            "components": [{"id": a.component_id, "status": a.status} for a in incident.affected],
        },
        "update": {
            "id": update.id, "status": update.status, "body": update.localized_body(locale),
            "created_at": update.created_at.isoformat() if update.created_at else None,
        },
        "locale": locale,
    }


def render_template_message(name: str, locale: str = "en", **ctx) -> dict:
    """A one-off message from templates/emails/<name>.* or templates/sms/<name>.txt."""
    ctx.setdefault("site_name", current_app.config.get("SITE_NAME", "Status"))
    ctx.setdefault("locale", locale)
    with force_locale(locale):
        if name.startswith("sms/"):
            return {"text": clean_sms_text(_one_line(render_template(f"{name}.txt", **ctx)))}
        return {"subject": _one_line(render_template(f"emails/{name}.subject", **ctx)),
                "text": render_template(f"emails/{name}.txt", **ctx).strip() + "\n",
                "html": render_template(f"emails/{name}.html", **ctx)}


def delivery_message(delivery) -> dict:
    """What a worker sends for one outbox row (rendered at send time, in the subscriber's locale)."""
    if delivery.kind != "update" or delivery.update is None or delivery.subscriber is None:
        return json.loads(delivery.payload or "{}")
    update = delivery.update
    incident = update.incident
    sub = delivery.subscriber
    channel = sub.channel
    if channel == "email":
        return render_update_email(incident, update, sub.locale, sub)
    if channel == "sms":
        return {"text": render_update_sms(incident, update, sub.locale)}
    return {"json": render_update_webhook(incident, update, sub.locale), "secret": sub.webhook_secret}
