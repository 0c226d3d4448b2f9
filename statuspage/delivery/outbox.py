"""The outbox (placeholder: the delivery engine fills this in)."""
from __future__ import annotations


def enqueue_message(kind: str, channel: str, recipient: str, subject: str, text: str, html: str | None = None):
    """Queue a one-off message (confirm code, test send, admin alert); returns the Delivery row (uncommitted)."""
    raise NotImplementedError
