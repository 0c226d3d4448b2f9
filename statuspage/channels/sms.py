"""SMS through the twilio client, under a global send-rate ceiling."""
from __future__ import annotations

from contextlib import contextmanager

from .base import Channel, DeliveryError

# Twilio error codes that no retry can fix.
PERMANENT_CODES = {
    21211: "invalid 'To' number",
    21408: "permission to send to this region is not enabled",
    21610: "the recipient replied STOP (unsubscribed)",
    21612: "the 'To' number cannot receive this message",
    21614: "the 'To' number is not a mobile number",
    30003: "unreachable handset",
    30005: "unknown destination handset",
    30006: "landline or unreachable carrier",
}
OPTED_OUT_CODES = {21610}


def classify_twilio_error(exc: Exception) -> DeliveryError:
    from twilio.base.exceptions import TwilioRestException

    if isinstance(exc, TwilioRestException):
        code = int(exc.code) if exc.code else None
        status = int(exc.status or 0)
        text = f"Twilio {code or status}: {PERMANENT_CODES.get(code) or exc.msg}"
        if code in OPTED_OUT_CODES:
            return DeliveryError(text, opted_out=True)
        if code in PERMANENT_CODES:
            return DeliveryError(text, permanent=True)
        if status == 429 or status >= 500:
            return DeliveryError(text)
        if status in (401, 403):
            # A credentials problem: keep the rows so they go out once it is fixed.
            return DeliveryError(text)
        return DeliveryError(text, permanent=400 <= status < 500)
    return DeliveryError(f"Twilio unreachable: {exc.__class__.__name__}: {exc}")


class SmsChannel(Channel):
    name = "sms"

    @classmethod
    def is_configured(cls, app) -> bool:
        c = app.config
        return bool(c.get("TWILIO_ACCOUNT_SID") and c.get("TWILIO_AUTH_TOKEN")
                    and (c.get("TWILIO_FROM") or c.get("TWILIO_MESSAGING_SERVICE_SID")))

    def __init__(self, app):
        super().__init__(app)
        self.client = None
        self.unreachable: DeliveryError | None = None  # Twilio did not answer: skip the rest of the batch

    @contextmanager
    def batch(self):
        self.client = make_client(self.app)
        try:
            yield self
        finally:
            self.client = None

    def send(self, delivery, message: dict) -> str | None:
        from ..delivery.ratelimit import sms_bucket

        c = self.app.config
        params = {
            "to": delivery.recipient,
            "body": message["text"],
            "validity_period": int(c.get("SMS_VALIDITY_SECONDS") or 7200),
            "status_callback": f"{c['PUBLIC_BASE_URL']}/webhooks/twilio/status?d={delivery.id}",
        }
        if c.get("TWILIO_MESSAGING_SERVICE_SID"):
            params["messaging_service_sid"] = c["TWILIO_MESSAGING_SERVICE_SID"]
        else:
            params["from_"] = c["TWILIO_FROM"]
        if self.unreachable is not None:
            raise self.unreachable
        sms_bucket(self.app).acquire()
        client = self.client or make_client(self.app)
        try:
            result = client.messages.create(**params)
        except Exception as exc:
            from twilio.base.exceptions import TwilioRestException

            err = classify_twilio_error(exc)
            if not isinstance(exc, TwilioRestException):
                self.unreachable = err
            raise err from exc
        return result.sid


def make_client(app):
    """A twilio Client pointed at TWILIO_API_BASE (a loopback double in tests)."""
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    c = app.config
    client = Client(c["TWILIO_ACCOUNT_SID"], c["TWILIO_AUTH_TOKEN"], http_client=TwilioHttpClient(timeout=15))
    client.api.base_url = c.get("TWILIO_API_BASE") or "https://api.twilio.com"
    return client
