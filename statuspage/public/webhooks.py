"""Twilio's callbacks: inbound keywords and delivery status. Both must carry a valid X-Twilio-Signature."""
from __future__ import annotations

from functools import wraps
from xml.sax.saxutils import escape

from flask import Blueprint, Response, abort, current_app, request

from ..extensions import db
from ..delivery import callbacks

bp = Blueprint("webhooks", __name__)

STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"}
START_WORDS = {"START", "YES", "UNSTOP"}
HELP_WORDS = {"HELP", "INFO"}


def _public_url() -> str:
    """The URL Twilio signed: our public base plus the path and query it called."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    query = request.query_string.decode()
    return f"{base}{request.path}" + (f"?{query}" if query else "")


def twilio_signed(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        from twilio.request_validator import RequestValidator

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


@bp.post("/webhooks/twilio/inbound")
@twilio_signed
def twilio_inbound():
    from ..delivery.render import render_template_message
    from ..services.subscriptions import SubscriptionError, normalize_phone, set_number_opt_out

    try:
        number = normalize_phone(request.form.get("From", ""), check_country=False)
    except SubscriptionError:
        return _twiml()
    word = (request.form.get("Body") or "").strip().split(maxsplit=1)
    keyword = word[0].upper().strip(".!") if word else ""
    locale = "en"
    if keyword in STOP_WORDS:
        set_number_opt_out(number, True)
        db.session.commit()
        # Twilio's own opt-out handling already confirms STOP to the handset.
        return _twiml()
    if keyword in START_WORDS:
        set_number_opt_out(number, False)
        db.session.commit()
        return _twiml(render_template_message("sms/opted_in", locale)["text"])
    if keyword in HELP_WORDS:
        page = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + "/"
        return _twiml(render_template_message("sms/help", locale, page_url=page)["text"])
    return _twiml()


@bp.post("/webhooks/twilio/status")
@twilio_signed
def twilio_status():
    callbacks.apply_twilio_status(
        delivery_id=request.args.get("d", type=int),
        sid=request.form.get("MessageSid") or request.form.get("SmsSid"),
        status=(request.form.get("MessageStatus") or request.form.get("SmsStatus") or "").lower(),
        error_code=request.form.get("ErrorCode"),
    )
    db.session.commit()
    return Response(status=204)
