"""A notice as a Feishu / Lark custom-bot interactive card (`msg_type: interactive`).

The card's header template takes the status colour; the request body stays
far under Feishu's 20 KB.
"""
from __future__ import annotations

from flask_babel import gettext as _

from ..chat import FEISHU_TEMPLATES, cut, cut_bytes, facts, headline, message, status_colour

DETAIL_MAX_BYTES = 12000


def render_notice(notice) -> dict:
    elements = [{"tag": "div", "fields": [
        {"is_short": True, "text": {"tag": "lark_md", "content": f"**{label}**\n{value}"}}
        for label, value in facts(notice)]}]
    if notice.action_text:
        elements.append({"tag": "div", "text": {"tag": "lark_md", "content": f"**{cut(notice.action_text, 1000)}**"}})
    if notice.detail_text:
        elements.append({"tag": "div", "text": {"tag": "plain_text", "content": cut_bytes(notice.detail_text, DETAIL_MAX_BYTES)}})
    elements.append({"tag": "action", "actions": [{"tag": "button", "type": "primary", "url": notice.incident_url,
                                                   "text": {"tag": "plain_text", "content": _("View the incident")}}]})
    elements.append({"tag": "note", "elements": [{"tag": "plain_text", "content": notice.site_name}]})
    card = {"config": {"wide_screen_mode": True},
            "header": {"title": {"tag": "plain_text", "content": cut(headline(notice), 200)},
                       "template": FEISHU_TEMPLATES.get(status_colour(notice), "blue")},
            "elements": elements}
    return message({"msg_type": "interactive", "card": card}, notice)
