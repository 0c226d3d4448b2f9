"""A notice as a WeCom (企业微信) group robot markdown message.

WeCom's markdown takes `<font color="info|comment|warning">` for colour
and at most 4096 bytes of content.
"""
from __future__ import annotations

from flask_babel import gettext as _

from ..chat import STATUS_COLOURS, cut_bytes, facts, headline, message, status_colour

CONTENT_MAX_BYTES = 4096
# WeCom has three colours: green, grey and orange-red.
_FONT = {STATUS_COLOURS["resolved"]: "info", STATUS_COLOURS["none"]: "comment"}


def render_notice(notice) -> dict:
    colour = _FONT.get(status_colour(notice), "warning")
    head = f'## <font color="{colour}">{headline(notice)}</font>\n'
    lines = [f"> {label}: {value}" for label, value in facts(notice)]
    if notice.action_text:
        lines.append(f"**{notice.action_text}**")
    link = f"[{_('View the incident')}]({notice.incident_url})"
    tail = f"\n{link}\n<font color=\"comment\">{notice.site_name}</font>"
    fixed = head + "\n".join(lines) + "\n"
    room = CONTENT_MAX_BYTES - len((fixed + tail).encode("utf-8")) - 2
    detail = cut_bytes(notice.detail_text, room) if notice.detail_text and room > 20 else ""
    content = fixed + (f"\n{detail}\n" if detail else "") + tail
    return message({"msgtype": "markdown", "markdown": {"content": cut_bytes(content, CONTENT_MAX_BYTES)}}, notice)
