"""Twilio's callbacks: inbound keywords (STOP/START/HELP) and delivery status.

Both must carry a valid X-Twilio-Signature. A status callback finishes the
story a send began: delivered, or failed with the carrier's reason.
"""
from __future__ import annotations

from functools import wraps
from xml.sax.saxutils import escape

import phonenumbers
from flask import Blueprint, Response, abort, current_app, request
from flask_babel import force_locale
from sqlalchemy import func, literal
from sqlalchemy.exc import IntegrityError
from twilio.request_validator import RequestValidator

from ...extensions import db
from ...models import Delivery, InboundMessage, Subscriber, utcnow
from ...models.base import UTCDateTime
from .errors import means_opted_out
from .render import render_message

INBOUND_PATH = "/webhooks/twilio/inbound"
STATUS_PATH = "/webhooks/twilio/status"

bp = Blueprint("twilio", __name__)

STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"}
START_WORDS = {"START", "YES", "UNSTOP"}
HELP_WORDS = {"HELP", "INFO"}

# A callback may move a row forward, never back: a delivered row stays delivered
# however late an earlier "sent" callback arrives.
_MOVABLE = {
    "sent": ("queued", "sending"),
    "delivered": ("queued", "sending", "sent"),
    "failed": ("queued", "sending", "sent"),
}
_TWILIO_TO_OURS = {"sent": "sent", "delivered": "delivered", "undelivered": "failed", "failed": "failed"}


def _public_url() -> str:
    """The URL Twilio signed: our public base plus the path and query it called."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    query = request.query_string.decode()
    return f"{base}{request.path}" + (f"?{query}" if query else "")


def twilio_signed(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        token = current_app.config.get("TWILIO_AUTH_TOKEN")
        signature = request.headers.get("X-Twilio-Signature", "")
        if not token or not signature:
            abort(403)
        if not RequestValidator(token).validate(_public_url(), request.form.to_dict(), signature):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def _twiml(message: str | None = None) -> Response:
    inner = f"<Message>{escape(message)}</Message>" if message else ""
    return Response(f'<?xml version="1.0" encoding="UTF-8"?><Response>{inner}</Response>', mimetype="text/xml")


def _e164(raw: str) -> str | None:
    """The sender's number in E.164 (as subscribers are stored), or None when it is not a valid number."""
    try:
        number = phonenumbers.parse((raw or "").strip(), current_app.config.get("SMS_DEFAULT_REGION") or None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _reply(name: str, locale: str = "en", **ctx) -> str:
    ctx.update(site_name=current_app.config.get("SITE_NAME", "Status"), locale=locale)
    with force_locale(locale):
        return render_message(name, ctx)["text"]


@bp.post(INBOUND_PATH)
@twilio_signed
def twilio_inbound():
    number = _e164(request.form.get("From", ""))
    if number is None:
        return _twiml()
    word = (request.form.get("Body") or "").strip().split(maxsplit=1)
    keyword = word[0].upper().strip(".!") if word else ""
    if keyword in STOP_WORDS | START_WORDS and not _first_time(request.form.get("MessageSid")):
        return _twiml()  # a replay of a message already acted on, however well signed
    if keyword in STOP_WORDS:
        Subscriber.opt_out_number(number, True)
        db.session.commit()
        # Twilio's own opt-out handling already confirms STOP to the handset.
        return _twiml()
    if keyword in START_WORDS:
        Subscriber.opt_out_number(number, False)
        db.session.commit()
        return _twiml(_reply("opted_in"))
    if keyword in HELP_WORDS:
        page = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + "/"
        return _twiml(_reply("help", page_url=page))
    return _twiml()


def _first_time(sid: str | None) -> bool:
    """Record the inbound MessageSid; False when it was recorded before.

    Twilio sends a MessageSid with every inbound message and signs it with the rest, so a replay
    carries the same one. A signed request without one cannot be told apart and is acted on.
    """
    if not sid:
        return True
    if len(sid) > 64:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(InboundMessage(sid=sid))
    except IntegrityError:
        return False
    return True


@bp.post(STATUS_PATH)
@twilio_signed
def twilio_status():
    apply_twilio_status(
        delivery_id=request.args.get("d", type=int),
        sid=request.form.get("MessageSid") or request.form.get("SmsSid"),
        status=(request.form.get("MessageStatus") or request.form.get("SmsStatus") or "").lower(),
        error_code=request.form.get("ErrorCode"),
    )
    db.session.commit()
    return Response(status=204)


def apply_twilio_status(delivery_id: int | None, sid: str | None, status: str, error_code: str | None) -> bool:
    """Apply one status callback; True when the row changed."""
    ours = _TWILIO_TO_OURS.get(status)
    if ours is None or not (delivery_id or sid):
        return False
    row = db.session.get(Delivery, delivery_id) if delivery_id else None
    if row is not None and sid and row.provider_id and row.provider_id != sid:
        row = None  # the id in the URL and the sid disagree: trust neither
    if row is None and sid:
        row = db.session.query(Delivery).filter_by(provider_id=sid).first()
    if row is None:
        return False
    now = literal(utcnow(), UTCDateTime())
    error = f"Twilio error {error_code}: {status}" if error_code else (f"Twilio: {status}" if ours == "failed" else None)
    changed = (db.session.query(Delivery)
               .filter(Delivery.id == row.id, Delivery.status.in_(_MOVABLE[ours]))
               .update({Delivery.status: ours, Delivery.provider_id: sid or row.provider_id,
                        Delivery.updated_at: now, Delivery.lease_until: None,
                        Delivery.sent_at: func.coalesce(Delivery.sent_at, now),
                        Delivery.last_error: func.coalesce(error, Delivery.last_error)},
                       synchronize_session=False))
    if ours == "failed" and means_opted_out(error_code) and row.subscriber_id:
        Subscriber.opt_out(row.subscriber_id)
    return changed == 1
