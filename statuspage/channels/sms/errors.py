"""What Twilio's error codes mean for us: retry, give up, or the recipient opted out."""
from __future__ import annotations

from twilio.base.exceptions import TwilioRestException

from ..base import DeliveryError

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


def means_opted_out(code) -> bool:
    """True for the codes saying the recipient unsubscribed (at send time or in a status callback)."""
    try:
        return int(code) in OPTED_OUT_CODES
    except (TypeError, ValueError):
        return False


def classify_twilio_error(exc: Exception) -> DeliveryError:
    if isinstance(exc, TwilioRestException):
        code = int(exc.code) if exc.code else None
        status = int(exc.status or 0)
        text = f"Twilio {code or status}: {PERMANENT_CODES.get(code) or exc.msg}"
        if means_opted_out(code):
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
