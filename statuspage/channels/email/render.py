"""An email from a notice: subject, plain text, HTML and the List-Unsubscribe headers.

Templates: templates/emails/<name>.subject, .txt and .html.
"""
from __future__ import annotations

from urllib.parse import quote

from flask import current_app, render_template


def _one_line(text: str) -> str:
    return " ".join(text.split())


def list_unsubscribe_headers(unsubscribe_url: str, token: str) -> dict:
    """RFC 2369 + RFC 8058: a one-click URL and a mailto fallback."""
    sender = current_app.config.get("MAIL_DEFAULT_SENDER") or "status@localhost"
    mailbox = sender.rsplit("<", 1)[-1].rstrip(">").strip()
    mailto = f"mailto:{mailbox}?subject={quote('unsubscribe ' + token)}"
    return {"List-Unsubscribe": f"<{unsubscribe_url}>, <{mailto}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def render_message(name: str, ctx: dict) -> dict:
    """{"subject", "text", "html"} from templates/emails/<name>.*"""
    return {"subject": _one_line(render_template(f"emails/{name}.subject", **ctx)),
            "text": render_template(f"emails/{name}.txt", **ctx).strip() + "\n",
            "html": render_template(f"emails/{name}.html", **ctx)}


def render_notice(notice) -> dict:
    """{"subject", "text", "html", "headers"} for one incident update."""
    message = render_message("update", notice.template_context())
    message["headers"] = list_unsubscribe_headers(notice.unsubscribe_url, notice.token)
    return message
