"""A notice as a Slack incoming-webhook message: `text` for notifications, Block Kit for the channel.

Slack's limits: a header block 150 characters, a section 3000, `text` well under
40,000 (Slack truncates long messages; we keep it to 3000). The colour bar is
an attachment's `color` around the detail blocks.
"""
from __future__ import annotations

from flask_babel import gettext as _

from ..chat import cut, facts, headline, message, status_colour

HEADER_MAX = 150
SECTION_MAX = 3000


def escape(text: str) -> str:
    """Slack mrkdwn's three control characters."""
    return (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_notice(notice) -> dict:
    title = headline(notice)
    text = cut(" — ".join(p for p in (title, notice.action_text) if p), SECTION_MAX)
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": cut(title, HEADER_MAX), "emoji": True}}]
    if notice.action_text:
        blocks.append({"type": "section", "text": {"type": "mrkdwn",
                                                   "text": cut("*" + escape(notice.action_text) + "*", SECTION_MAX)}})
    detail = [{"type": "section", "fields": [{"type": "mrkdwn", "text": f"*{escape(label)}*\n{escape(value)}"}
                                             for label, value in facts(notice)]}]
    if notice.detail_text:
        detail.append({"type": "section", "text": {"type": "mrkdwn", "text": cut(escape(notice.detail_text), SECTION_MAX)}})
    detail.append({"type": "actions", "elements": [{"type": "button", "url": notice.incident_url,
                                                    "text": {"type": "plain_text", "text": _("View the incident")}}]})
    detail.append({"type": "context", "elements": [{"type": "mrkdwn", "text": escape(notice.site_name)}]})
    body = {"text": text, "blocks": blocks,
            "attachments": [{"color": status_colour(notice), "blocks": detail}]}
    return message(body, notice)
