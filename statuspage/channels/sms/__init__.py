"""SMS through the twilio client, under a global send-rate ceiling; Twilio's callbacks in webhooks.py."""
from __future__ import annotations

import threading
from contextlib import contextmanager

from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from ...ratelimit import sms_bucket
from ...settings import setting
from ..base import Channel, DeliveryError
from .errors import classify_twilio_error
from .render import render_message, render_notice
from .webhooks import STATUS_PATH, bp


class SmsChannel(Channel):
    name = "sms"
    render = staticmethod(render_notice)
    render_message = staticmethod(render_message)
    blueprint = bp

    @classmethod
    def is_configured(cls, app) -> bool:
        c = app.config
        return bool(c.get("TWILIO_ACCOUNT_SID") and c.get("TWILIO_AUTH_TOKEN")
                    and (c.get("TWILIO_FROM") or c.get("TWILIO_MESSAGING_SERVICE_SID")))

    def __init__(self, app):
        super().__init__(app)
        self.unreachable: DeliveryError | None = None  # Twilio did not answer: skip the rest of the batch
        # Sends in flight at once, each waiting for its own rate slot. Default 1: with several threads,
        # requests delayed on a busy machine arrived bunched, above SMS_RATE_PER_SECOND within one second
        # (bench/README.md); the ceiling is a promise to the carrier, so raise this only where measured.
        self.send_concurrency = max(1, int(setting("SMS_SEND_CONCURRENCY", 1, app)))
        self._local = threading.local()

    @contextmanager
    def batch(self):
        self.unreachable = None
        yield self

    @property
    def client(self):
        """This thread's Twilio client (kept across batches; a client's HTTP session is not shared)."""
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = make_client(self.app)
        return client

    def send(self, delivery, message: dict) -> str | None:
        c = self.app.config
        params = {
            "to": delivery.recipient,
            "body": message["text"],
            "validity_period": int(c.get("SMS_VALIDITY_SECONDS") or 7200),
            "status_callback": f"{c['PUBLIC_BASE_URL']}{STATUS_PATH}?d={delivery.id}",
        }
        if c.get("TWILIO_MESSAGING_SERVICE_SID"):
            params["messaging_service_sid"] = c["TWILIO_MESSAGING_SERVICE_SID"]
        else:
            params["from_"] = c["TWILIO_FROM"]
        if self.unreachable is not None:
            raise self.unreachable
        sms_bucket(self.app).acquire()
        try:
            result = self.client.messages.create(**params)
        except Exception as exc:
            err = classify_twilio_error(exc)
            if not isinstance(exc, TwilioRestException):
                self.unreachable = err
            raise err from exc
        return result.sid


def make_client(app):
    """A twilio Client pointed at TWILIO_API_BASE (a loopback double in tests)."""
    c = app.config
    client = Client(c["TWILIO_ACCOUNT_SID"], c["TWILIO_AUTH_TOKEN"], http_client=TwilioHttpClient(timeout=15))
    client.api.base_url = c.get("TWILIO_API_BASE") or "https://api.twilio.com"
    return client
