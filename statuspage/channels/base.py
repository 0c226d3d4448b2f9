"""One interface for every way a notice leaves the building (healthchecks' Transport)."""
from __future__ import annotations

from contextlib import contextmanager


class DeliveryError(Exception):
    """A send that did not happen.

    permanent: retrying cannot help (bad address, 5xx, the recipient opted out).
    opted_out: the provider says the recipient unsubscribed; mark the subscriber.
    retry_after: seconds the provider asked us to wait (HTTP 429 Retry-After).
    """

    def __init__(self, message: str, *, permanent: bool = False, opted_out: bool = False,
                 retry_after: float | None = None):
        super().__init__(message)
        self.message = message
        self.permanent = permanent or opted_out
        self.opted_out = opted_out
        self.retry_after = retry_after


class Channel:
    """Sends one rendered message. `send` returns the provider's id (or None)."""

    name = "base"

    def __init__(self, app):
        self.app = app

    @classmethod
    def is_configured(cls, app) -> bool:
        return True

    @contextmanager
    def batch(self):
        """Hold whatever a run of sends shares (one SMTP connection, one HTTP session)."""
        yield self

    def send(self, delivery, message: dict) -> str | None:
        raise NotImplementedError
