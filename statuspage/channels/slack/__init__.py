"""Slack incoming webhooks (https://hooks.slack.com/services/...): Block Kit, one message a second."""
from __future__ import annotations

from ..base import DeliveryError
from ..chat import ChatChannel, http_failure
from .render import render_notice

# Slack's answers that mean the webhook is gone for good: the row fails and the subscriber is disabled.
GONE = ("no_service", "no_team", "team_disabled", "channel_not_found", "channel_is_archived", "invalid_token",
        "action_prohibited", "no_active_hooks")


class SlackChannel(ChatChannel):
    name = "slack"
    render = staticmethod(render_notice)
    rate_limits = ((1, 1.0),)

    def check_answer(self, resp) -> str | None:
        body = (resp.text or "").strip()
        if resp.status_code == 200:
            return None
        if body in GONE:
            raise DeliveryError(f"slack: {body} (HTTP {resp.status_code})", permanent=True, disabled=True)
        raise http_failure("slack", resp, body[:100])
