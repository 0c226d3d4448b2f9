"""One interface for every way a notice leaves the building (healthchecks' Transport)."""
from __future__ import annotations

from contextlib import contextmanager


class DeliveryError(Exception):
    """A send that did not happen.

    permanent: retrying cannot help (bad address, 5xx, the recipient opted out).
    opted_out: the provider says the recipient unsubscribed; mark the subscriber.
    retry_after: seconds the provider asked us to wait (HTTP 429 Retry-After).
    disabled: the destination is gone (a deleted chat robot): fail, and disable the subscriber.
    """

    def __init__(self, message: str, *, permanent: bool = False, opted_out: bool = False,
                 retry_after: float | None = None, disabled: bool = False):
        super().__init__(message)
        self.message = message
        self.permanent = permanent or opted_out or disabled
        self.opted_out = opted_out
        self.disabled = disabled
        self.retry_after = retry_after


class Channel:
    """A kind of destination: how a notice reads on it, and how a message reaches it.

    `render(notice)` turns a channel-independent notice (statuspage.notices.Notice)
    into this channel's message; `render_message(name, ctx)` renders a one-off
    message (a confirmation) from this channel's templates. An instance sends:
    `send(delivery, message)` returns the provider's id (or None) or raises
    DeliveryError; `batch()` holds what a run of sends shares.
    """

    name = "base"
    # Subscribers can sign up on it; log mode is a fallback, not a choice.
    subscribable = True
    # The notice is the same for every subscriber but for their link token: render it once.
    renders_once_per_notice = False
    # Provider callbacks (a Flask Blueprint), registered by the app factory.
    blueprint = None
    # The outbox status of a row once send() returned: what the provider accepted is `sent`.
    sent_status = "sent"

    def __init__(self, app):
        self.app = app

    @classmethod
    def is_configured(cls, app) -> bool:
        return True

    @staticmethod
    def render(notice) -> dict:
        raise NotImplementedError

    @staticmethod
    def render_message(name: str, ctx: dict) -> dict:
        raise NotImplementedError

    @contextmanager
    def batch(self):
        """Hold whatever a run of sends shares (one SMTP connection, one HTTP session)."""
        yield self

    def send(self, delivery, message: dict) -> str | None:
        raise NotImplementedError
