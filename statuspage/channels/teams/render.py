"""A notice as a Microsoft Teams message: an Adaptive Card for a Workflows (Power Automate) webhook.

The card's title sits in a container styled by the status (good, warning,
attention, accent); Teams refuses a message over 28 KB, so the detail is cut
well below that.
"""
from __future__ import annotations

from flask_babel import gettext as _

from ..chat import COLOUR_NAMES, cut, cut_bytes, facts, headline, message, status_colour

DETAIL_MAX_BYTES = 16000
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"


def render_notice(notice) -> dict:
    style = COLOUR_NAMES.get(status_colour(notice), "accent")
    body = [
        {"type": "Container", "style": style, "bleed": True, "items": [
            {"type": "TextBlock", "text": cut(headline(notice), 300), "weight": "Bolder", "size": "Medium",
             "wrap": True}]},
        {"type": "FactSet", "facts": [{"title": label, "value": value} for label, value in facts(notice)]},
    ]
    if notice.action_text:
        body.append({"type": "TextBlock", "text": cut(notice.action_text, 1000), "weight": "Bolder", "wrap": True})
    if notice.detail_text:
        body.append({"type": "TextBlock", "text": cut_bytes(notice.detail_text, DETAIL_MAX_BYTES), "wrap": True})
    body.append({"type": "TextBlock", "text": notice.site_name, "isSubtle": True, "size": "Small", "wrap": True})
    card = {"$schema": CARD_SCHEMA, "type": "AdaptiveCard", "version": "1.4", "msteams": {"width": "Full"},
            "body": body,
            "actions": [{"type": "Action.OpenUrl", "title": _("View the incident"), "url": notice.incident_url}]}
    payload = {"type": "message", "attachments": [
        {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}]}
    return message(payload, notice)
