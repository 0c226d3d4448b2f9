"""Log mode: a provider is not configured, so the rendered message is kept for the admins to read."""
from __future__ import annotations

from ..base import Channel


class LogChannel(Channel):
    """Nothing leaves the process; the outbox row keeps the message (channel `log`)."""

    name = "log"
    subscribable = False
    # Kept, not sent: counted apart from what a provider accepted ("logged, not sent").
    sent_status = "logged"

    def send(self, delivery, message: dict) -> str | None:
        self.app.logger.info("log mode: %s to %s: %s", delivery.kind, delivery.recipient,
                             message.get("subject") or message.get("text", "")[:80])
        return None
