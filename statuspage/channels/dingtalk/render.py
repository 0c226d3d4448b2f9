"""A notice as a DingTalk (钉钉) custom-robot markdown message.

DingTalk's markdown takes `<font color=#rrggbb>`; the message stays under
DingTalk's 20,000 bytes.
"""
from __future__ import annotations

from flask_babel import gettext as _

from ..chat import cut, cut_bytes, facts, headline, message, status_colour

TEXT_MAX_BYTES = 18000


def render_notice(notice) -> dict:
    title = headline(notice)
    lines = [f"### <font color={status_colour(notice)}>{title}</font>", ""]
    lines += [f"- **{label}**: {value}" for label, value in facts(notice)]
    if notice.action_text:
        lines += ["", f"**{notice.action_text}**"]
    tail = ["", f"[{_('View the incident')}]({notice.incident_url})", "", f"<font color=#888888>{notice.site_name}</font>"]
    fixed = "\n".join(lines + tail)
    room = TEXT_MAX_BYTES - len(fixed.encode("utf-8")) - 4
    if notice.detail_text and room > 20:
        lines += ["", cut_bytes(notice.detail_text, room)]
    text = "\n".join(lines + tail)
    return message({"msgtype": "markdown", "markdown": {"title": cut(title, 100), "text": text}}, notice)
