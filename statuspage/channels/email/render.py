"""An email from a notice: subject, plain text, HTML, the sender's name and the headers.

Templates: templates/emails/<name>.subject, .txt and .html. The subject is
one per incident, prefixed by its current state ("[Resolved] API down"), so
the notices of an incident read as one thread; the headers carry the
thread (Message-ID, In-Reply-To, References) and RFC 8058 unsubscribe.
Turning the message into bytes is mime.py's job.
"""
from __future__ import annotations

import re
from urllib.parse import quote

from flask import current_app, render_template
from markupsafe import Markup

from ...phones import phone_spans

# Colour band per state: (light background, text on it). Unresolved incidents take their impact's.
_STATUS_COLOURS = {
    "resolved": "#1a7f37", "postmortem": "#1a7f37", "completed": "#1a7f37",
    "monitoring": "#0969da", "scheduled": "#0969da", "in_progress": "#0969da", "verifying": "#0969da",
}
_IMPACT_COLOURS = {"critical": "#cf222e", "major": "#bc4c00", "minor": "#9a6700", "none": "#57606a"}


def status_colour(status: str, impact: str) -> str:
    return _STATUS_COLOURS.get(status) or _IMPACT_COLOURS.get(impact, "#57606a")


def _one_line(text: str) -> str:
    return " ".join(text.split())


_TAG = re.compile(r"(<[^>]*>)")


def tel_links(html: str) -> Markup:
    """Phone numbers in the text of `html` become tel: links (never inside an existing link)."""
    out, in_link = [], False
    for piece in _TAG.split(str(html)):
        if piece.startswith("<"):
            name = piece[1:].split(None, 1)[0].lower() if len(piece) > 2 else ""
            in_link = True if name == "a" else False if name == "/a" else in_link
            out.append(piece)
            continue
        if in_link or not piece:
            out.append(piece)
            continue
        last = 0
        for start, end, e164 in phone_spans(piece):
            out.append(piece[last:start])
            out.append(f'<a href="tel:{e164}" style="color:inherit;font-weight:bold">{piece[start:end]}</a>')
            last = end
        out.append(piece[last:])
    return Markup("".join(out))  # nosec B704: `html` is rendered (escaped) HTML; only E.164 digits are added


def sender_address() -> str:
    sender = current_app.config.get("MAIL_DEFAULT_SENDER") or "status@localhost"
    if isinstance(sender, (tuple, list)):
        sender = sender[1]
    return sender.rsplit("<", 1)[-1].rstrip(">").strip()


def list_unsubscribe_headers(unsubscribe_url: str, token: str) -> dict:
    """RFC 2369 + RFC 8058: a one-click URL and a mailto fallback."""
    mailto = f"mailto:{sender_address()}?subject={quote('unsubscribe ' + token)}"
    return {"List-Unsubscribe": f"<{unsubscribe_url}>, <{mailto}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def render_message(name: str, ctx: dict) -> dict:
    """{"subject", "text", "html", "sender_name"} from templates/emails/<name>.*"""
    return {"subject": _one_line(render_template(f"emails/{name}.subject", **ctx)),
            "text": render_template(f"emails/{name}.txt", **ctx).strip() + "\n",
            "html": render_template(f"emails/{name}.html", **ctx),
            "sender_name": ctx.get("site_name")}


def render_notice(notice) -> dict:
    """{"subject", "text", "html", "sender_name", "headers"} for one incident update."""
    ctx = notice.template_context()
    ctx.update(colour=status_colour(notice.status, notice.incident.impact),
               action_html=tel_links(notice.action_html), detail_html=tel_links(notice.detail_html))
    message = render_message("update", ctx)
    headers = {"Message-ID": notice.message_id}
    if notice.thread_id != notice.message_id:
        headers.update({"In-Reply-To": notice.thread_id, "References": notice.thread_id})
    headers.update(list_unsubscribe_headers(notice.unsubscribe_url, notice.token))
    message["headers"] = headers
    return message
