"""Microsoft Teams: a Workflows webhook ("Post to a channel when a webhook request is received")."""
from __future__ import annotations

from ..base import DeliveryError
from ..chat import ChatChannel, http_failure
from .render import render_notice


class TeamsChannel(ChatChannel):
    name = "teams"
    render = staticmethod(render_notice)
    rate_limits = ((4, 1.0),)

    def check_answer(self, resp) -> str | None:
        if resp.status_code in (200, 202):
            return resp.headers.get("x-ms-workflow-run-id") or None
        if resp.status_code in (404, 410):
            # The workflow (or the old connector) was deleted.
            raise DeliveryError(f"teams: the webhook is gone (HTTP {resp.status_code})", permanent=True,
                                disabled=True)
        raise http_failure("teams", resp, (resp.text or "")[:100])
