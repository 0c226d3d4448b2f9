"""/v1/pages/<page_id>/subscribers: email and SMS with the public form's consent rules (double opt-in,
the SMS country and premium-rate policy); webhooks and pre-confirmed subscribers for admins only."""
from __future__ import annotations

import phonenumbers
from flask import jsonify, request

from ..models import Tenant
from ..services import lookup
from ..services import subscriptions as subs
from . import route
from . import serializers as ser
from .common import (ManageApiError, actor, as_bool, as_id, as_ids, body, not_found, require_role, token_is_admin,
                     page_window, wrapped)

TYPES = {"email": "email", "sms": "sms", "webhook": "webhook"}


def _subscriber_or_404(subscriber_id: str):
    number = as_id(subscriber_id)
    sub = subs.get_subscriber(number) if number else None
    if sub is None:
        raise not_found("subscriber")
    return sub


def _refused(exc: subs.SubscriptionError) -> ManageApiError:
    status = exc.status if exc.status in (403, 429) else 422
    return ManageApiError(status, f"{exc.field}: {exc.message}" if exc.field else exc.message)


def _phone(data: dict) -> str:
    number, country = str(data.get("phone_number") or "").strip(), str(data.get("phone_country") or "").strip()
    if number.startswith("+") or not country:
        return number
    try:
        parsed = phonenumbers.parse(number, country.upper())
    except phonenumbers.NumberParseException:
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


@route("/pages/<page_id>/subscribers", ["GET"])
@require_role("responder")
def subscribers_list():
    state = request.args.get("state") or "active"
    if state not in subs.SUBSCRIBER_STATES:
        raise ManageApiError(400, "state must be one of: " + ", ".join(subs.SUBSCRIBER_STATES) + ".")
    kind = request.args.get("type")
    if kind and kind not in TYPES:
        raise ManageApiError(400, "type must be one of: " + ", ".join(TYPES) + ".")
    page, per_page = page_window()
    items = subs.subscribers_by_state(state=state, channel=TYPES.get(kind or ""), text=request.args.get("q"),
                                      page=page, per_page=per_page)
    return jsonify([ser.subscriber(s) for s in items])


@route("/pages/<page_id>/subscribers/unsubscribed", ["GET"])
@require_role("responder")
def subscribers_unsubscribed():
    page, per_page = page_window()
    items = subs.subscribers_by_state(state="unsubscribed", text=request.args.get("q"), page=page, per_page=per_page)
    return jsonify([ser.subscriber(s) for s in items])


@route("/pages/<page_id>/subscribers/<subscriber_id>", ["GET"])
@require_role("responder")
def subscribers_get(subscriber_id):
    return jsonify(ser.subscriber(_subscriber_or_404(subscriber_id)))


@route("/pages/<page_id>/subscribers", ["POST"])
@require_role("responder")
def subscribers_create():
    data = wrapped(body(), "subscriber")
    if data.get("endpoint"):
        field, value = "webhook_url", str(data["endpoint"])
    elif data.get("phone_number"):
        field, value = "phone", _phone(data)
    elif data.get("email"):
        field, value = "email", str(data["email"])
    else:
        raise ManageApiError(422, "Give an email, a phone_number (with phone_country) or an endpoint.")
    skip = as_bool(data["skip_confirmation_notification"], "skip_confirmation_notification") \
        if data.get("skip_confirmation_notification") is not None else False
    tenant_slug = None
    if data.get("page_access_group_id"):
        tenant = lookup.find(Tenant, data["page_access_group_id"])
        if tenant is None:
            raise ManageApiError(422, "page_access_group_id: unknown page access group.")
        tenant_slug = tenant.slug
    if "component_ids" in data and not data["component_ids"]:
        raise ManageApiError(422, "component_ids must have at least one component when it is given.")
    try:
        sub, _secret = subs.add_subscriber(
            channel_field=field, value=value, tenant_slug=tenant_slug,
            component_ids=as_ids(data.get("component_ids"), "component_ids"), locale=data.get("locale"),
            confirmed=True if skip else None if field == "webhook_url" else False, test_audience=False,
            actor=actor(), admin=token_is_admin())
    except subs.SubscriberExists as exc:
        raise ManageApiError(422, f"{exc.message}") from None
    except subs.SubscriptionError as exc:
        raise _refused(exc) from None
    return jsonify(ser.subscriber(sub)), 201


@route("/pages/<page_id>/subscribers/<subscriber_id>", ["DELETE"])
@require_role("admin")
def subscribers_delete(subscriber_id):
    """Unsubscribes (a soft delete, restorable); Statuspage answers the subscriber."""
    sub = subs.set_subscriber_deleted(_subscriber_or_404(subscriber_id), True, actor())
    return jsonify(ser.subscriber(sub))
