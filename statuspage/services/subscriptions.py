"""Subscribing, confirming, opting out: the rules, without request objects.

A subscribe request answers the same way whether or not the address is
already subscribed, so the form cannot be used to probe who is a customer.
Confirm sends are rate-limited per IP, per destination and per number
prefix (SMS pumping sends floods of codes to premium ranges).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func

from ..channels import CHAT_CHANNELS
from ..delivery.outbox import enqueue_message
from ..extensions import db
from ..i18n import normalize_locale
from ..models import Component, Subscriber, Tenant, utcnow
from ..notices import render_template_message
from ..outbound import OutboundRefused, check_url
from ..ratelimit import hit
from . import audit
from .audit import Actor
from .tenants import find_tenant_by_slug

CONFIRM_MAX_AGE = 48 * 3600
CODE_MAX_AGE = 15 * 60
CODE_MAX_ATTEMPTS = 5


class SubscriptionError(Exception):
    """Bad input or too many requests: `message` is shown to the user, `status` is the HTTP code."""

    def __init__(self, message: str, status: int = 400, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.field = field


@dataclass
class SubscribeResult:
    channel: str
    address: str
    confirm_url: str | None = None  # the code page, for SMS


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="statuspage-subscription-confirm")


def normalize_email(raw: str) -> str:
    try:
        info = validate_email((raw or "").strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise SubscriptionError(_("This email address is not valid: %(reason)s", reason=str(exc)), field="email")
    return info.normalized.lower() if info.normalized else raw.strip().lower()


def normalize_phone(raw: str, check_country: bool = True) -> str:
    """E.164, or a SubscriptionError saying what is wrong."""
    region = current_app.config.get("SMS_DEFAULT_REGION") or None
    try:
        number = phonenumbers.parse((raw or "").strip(), region)
    except phonenumbers.NumberParseException:
        raise SubscriptionError(_("This phone number is not valid. Write it with the country code, e.g. +1 415 555 0100."),
                                field="phone")
    if not phonenumbers.is_valid_number(number):
        raise SubscriptionError(_("This phone number is not valid. Write it with the country code, e.g. +1 415 555 0100."),
                                field="phone")
    if check_country:
        # Premium-rate and shared-cost ranges earn their owner money per text: the target of SMS pumping.
        if phonenumbers.number_type(number) in (phonenumbers.PhoneNumberType.PREMIUM_RATE,
                                                 phonenumbers.PhoneNumberType.SHARED_COST):
            raise SubscriptionError(_("We do not send text messages to premium-rate numbers."), field="phone")
        country = phonenumbers.region_code_for_number(number)
        allowed = current_app.config.get("SMS_ALLOWED_COUNTRIES") or []
        if allowed and country not in allowed:
            raise SubscriptionError(
                _("We do not send text messages to numbers in %(country)s. Subscribe by email instead.",
                  country=country or "?"), field="phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def find_tenant(slug: str | None, may_see: Callable[[Tenant], bool] | None = None) -> Tenant | None:
    """The tenant named by `slug`; a private one the caller `may_see` not is answered exactly like an unknown one."""
    if not slug:
        return None
    tenant = find_tenant_by_slug(slug.strip())
    if tenant is None or (tenant.private and may_see is not None and not may_see(tenant)):
        raise SubscriptionError(_("There is no page called '%(slug)s'.", slug=slug), field="tenant")
    return tenant


def find_components(ids, tenant: Tenant | None = None) -> list[Component]:
    """Components on the subscriber's page (the public ones and `tenant`'s own); any other id, whether it
    exists elsewhere or not, is refused with the same words."""
    try:
        wanted = {int(i) for i in (ids or []) if str(i).strip()}
    except (TypeError, ValueError, OverflowError):
        raise SubscriptionError(_("Choose components from the list."), field="component_ids")
    if not wanted:
        return []
    if any(not 0 < i < 2**31 for i in wanted):
        raise SubscriptionError(_("Some of the chosen components do not exist."), field="component_ids")
    on_page = Component.tenant_id.is_(None)
    if tenant is not None:
        on_page = on_page | (Component.tenant_id == tenant.id)
    found = (db.session.query(Component)
             .filter(Component.id.in_(wanted), Component.deleted_at.is_(None), on_page).all())
    if len(found) != len(wanted):
        raise SubscriptionError(_("Some of the chosen components do not exist."), field="component_ids")
    return found


def _limit(key: str, limit_name: str, default: int) -> None:
    limit = int(current_app.config.get(limit_name, default))
    if not hit(current_app, key, limit, 3600):
        raise SubscriptionError(_("Too many subscription requests. Please try again in an hour."), status=429)


def _check_rate_limits(channel: str, address: str, ip: str | None) -> None:
    if ip:
        _limit(f"subscribe-ip:{ip}", "SUBSCRIBE_LIMIT_PER_IP", 10)
    _limit(f"subscribe-dest:{channel}:{address}", "SUBSCRIBE_LIMIT_PER_DESTINATION", 3)
    if channel == "sms":
        # Premium-rate ranges share a prefix: cap codes to any one block of numbers.
        _limit(f"subscribe-prefix:{address[:-4]}", "SUBSCRIBE_LIMIT_PER_PREFIX", 10)


def find_subscriber(channel: str, address: str, tenant_id: int | None) -> Subscriber | None:
    return (db.session.query(Subscriber)
            .filter(Subscriber.channel == channel, Subscriber.address == address,
                    func.coalesce(Subscriber.tenant_id, 0) == (tenant_id or 0))
            .one_or_none())


def subscriber_values(channel: str, address: str, *, tenant_id: int | None = None, locale: str = "en",
                      all_components: bool = True, confirmed: bool = False, test_audience: bool = False,
                      source: str = "web", now=None) -> dict:
    """The column values of a new subscriber: the one place their defaults are decided.

    `create_subscriber` builds a row from them; the CSV import inserts them in bulk.
    """
    now = now or utcnow()
    return {"channel": channel, "address": address, "tenant_id": tenant_id, "locale": locale,
            "all_components": all_components, "confirmed": confirmed, "confirmed_at": now if confirmed else None,
            "opted_out": False, "test_audience": test_audience, "token": secrets.token_urlsafe(24),
            "confirm_attempts": 0, "source": source, "created_at": now, "updated_at": now}


def create_subscriber(channel: str, address: str, *, tenant: Tenant | None = None, locale: str = "en",
                      components=(), confirmed: bool = False, test_audience: bool = False, source: str = "web",
                      **restored) -> Subscriber:
    """The one way a subscriber comes to exist: the form, the admin API, CSV and config import, the demo.

    `restored`: columns a configuration import brings back as they were (id, token, dates, opt-out).
    """
    components = list(components)
    values = subscriber_values(channel, address, tenant_id=tenant.id if tenant else None, locale=locale,
                               all_components=not components, confirmed=confirmed, test_audience=test_audience,
                               source=source)
    values.update(restored)
    sub = Subscriber(**values)
    if components:
        sub.components = components
    db.session.add(sub)
    db.session.flush()
    return sub


def is_active(sub: Subscriber) -> bool:
    return sub.confirmed and not sub.opted_out and sub.deleted_at is None


def subscribe(*, email: str | None = None, phone: str | None = None, tenant_slug: str | None = None,
              component_ids=None, locale: str | None = None, ip: str | None = None,
              may_see: Callable[[Tenant], bool] | None = None) -> SubscribeResult:
    """Start a double opt-in and commit; the answer is the same for new and existing addresses.

    `may_see(tenant)`: whether the visitor holds a private tenant's link; one who does not gets the
    answer an unknown slug gets, from the same check in the same order.
    """
    try:
        result = _subscribe(email=email, phone=phone, tenant_slug=tenant_slug, component_ids=component_ids,
                            locale=locale, ip=ip, may_see=may_see)
    except SubscriptionError:
        db.session.rollback()
        raise
    db.session.commit()
    return result


def _subscribe(*, email, phone, tenant_slug, component_ids, locale, ip, may_see) -> SubscribeResult:
    if email and phone:
        raise SubscriptionError(_("Give an email address or a phone number, not both."))
    if not email and not phone:
        raise SubscriptionError(_("Give an email address or a phone number."))
    channel = "email" if email else "sms"
    address = normalize_email(email) if email else normalize_phone(phone)
    tenant = find_tenant(tenant_slug, may_see)
    components = find_components(component_ids, tenant)
    locale = normalize_locale(locale) or "en"
    _check_rate_limits(channel, address, ip)

    sub = find_subscriber(channel, address, tenant.id if tenant else None)
    if sub is not None and is_active(sub):
        # Already subscribed: change nothing and say nothing different.
        return _result(channel, address, tenant)
    if sub is None:
        sub = create_subscriber(channel, address, tenant=tenant, source="web")
    sub.deleted_at = None
    sub.confirmed = False
    sub.locale = locale
    sub.all_components = not components
    sub.components = components
    db.session.flush()
    send_confirmation(sub)
    return _result(channel, address, tenant)


def _result(channel: str, address: str, tenant: Tenant | None) -> SubscribeResult:
    result = SubscribeResult(channel=channel, address=address)
    if channel == "sms":
        token = _serializer().dumps({"p": address, "t": tenant.id if tenant else 0})
        result.confirm_url = f"/subscriptions/confirm/{token}"
    return result


def send_confirmation(sub: Subscriber) -> None:
    """Queue the confirm link (email) or a fresh 6-digit code (SMS)."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    sub.confirm_sent_at = utcnow()
    # Signed up on a tenant's page: the message comes from that tenant.
    site_name = sub.tenant.name if sub.tenant is not None else current_app.config.get("SITE_NAME", "Status")
    if sub.channel == "email":
        token = _serializer().dumps({"s": sub.id, "k": sub.token[:12]})
        msg = render_template_message("confirm", sub.locale, confirm_url=f"{base}/subscriptions/confirm/{token}",
                                      site_name=site_name)
        row = enqueue_message("confirm", "email", sub.address, msg["subject"], msg["text"], msg["html"])
        row.payload = json.dumps({**json.loads(row.payload), "sender_name": site_name}, ensure_ascii=False)
    elif sub.channel == "sms":
        code = f"{secrets.randbelow(10**6):06d}"
        sub.confirm_code_hash = _code_hash(sub, code)
        sub.confirm_attempts = 0
        msg = render_template_message("sms/confirm", sub.locale, code=code, site_name=site_name)
        enqueue_message("confirm", "sms", sub.address, "", msg["text"])
    db.session.flush()


def _code_hash(sub: Subscriber, code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{sub.id}:{sub.address}:{code}".encode(), hashlib.sha256).hexdigest()


def read_confirm_token(token: str) -> dict:
    """The payload of a confirm link or SMS code page; SubscriptionError when forged or expired."""
    try:
        data = _serializer().loads(token, max_age=int(current_app.config.get("SUBSCRIBE_CONFIRM_MAX_AGE", CONFIRM_MAX_AGE)))
    except SignatureExpired:
        raise SubscriptionError(_("This confirmation link has expired. Subscribe again to get a new one."), status=410)
    except BadSignature:
        raise SubscriptionError(_("This confirmation link is not valid."), status=404)
    if not isinstance(data, dict):
        raise SubscriptionError(_("This confirmation link is not valid."), status=404)
    return data


def confirm(token: str) -> Subscriber | None:
    """Confirm an email link and commit; None when the token is an SMS code page's (see confirm_sms_code)."""
    data = read_confirm_token(token)
    if "p" in data:
        return None
    sub = confirm_email(token)
    db.session.commit()
    return sub


def confirm_email(token: str) -> Subscriber:
    sub = _email_link_subscriber(read_confirm_token(token))
    _activate(sub)
    return sub


def subscriber_to_confirm(token: str) -> Subscriber | None:
    """Whom an email confirm link is for, changing nothing (the page's GET); None for an SMS code page."""
    data = read_confirm_token(token)
    if "p" in data:
        return None
    return _email_link_subscriber(data)


def _email_link_subscriber(data: dict) -> Subscriber:
    try:
        sub_id = int(data.get("s") or 0)
    except (TypeError, ValueError):
        sub_id = 0
    sub = db.session.get(Subscriber, sub_id) if 0 < sub_id < 2**31 else None
    if sub is None or sub.deleted_at is not None or not sub.token.startswith(str(data.get("k"))):
        raise SubscriptionError(_("This confirmation link is not valid."), status=404)
    return sub


def _activate(sub: Subscriber) -> None:
    if not sub.confirmed or sub.opted_out:
        sub.confirmed = True
        sub.confirmed_at = utcnow()
        sub.set_opted_out(False)
    sub.confirm_code_hash = None
    db.session.flush()


def confirm_sms_code(token: str, code: str) -> Subscriber:
    """Check the code and commit; a wrong code is counted (and committed) before SubscriptionError."""
    try:
        sub = _confirm_sms_code(token, code)
    finally:
        db.session.commit()
    return sub


def _confirm_sms_code(token: str, code: str) -> Subscriber:
    data = read_confirm_token(token)
    if "p" not in data:
        raise SubscriptionError(_("This confirmation link is not valid."), status=404)
    sub = find_subscriber("sms", data["p"], int(data.get("t") or 0) or None)
    wrong = SubscriptionError(_("That code is not right. Check the text message and try again."), field="code")
    if sub is None or sub.confirm_code_hash is None:
        raise wrong
    if sub.confirm_attempts >= CODE_MAX_ATTEMPTS:
        raise SubscriptionError(_("Too many wrong codes. Subscribe again to get a new code."), status=429)
    if sub.confirm_sent_at is None or utcnow() - sub.confirm_sent_at > timedelta(seconds=CODE_MAX_AGE):
        raise SubscriptionError(_("This code has expired. Subscribe again to get a new code."), status=410)
    if not hmac.compare_digest(sub.confirm_code_hash, _code_hash(sub, (code or "").strip())):
        sub.confirm_attempts += 1
        db.session.flush()
        raise wrong
    _activate(sub)
    return sub


def subscriber_by_token(token: str) -> Subscriber | None:
    if not token or len(token) > 64:
        return None
    return db.session.query(Subscriber).filter_by(token=token).one_or_none()


def unsubscribe(sub: Subscriber) -> None:
    """The unsubscribe link (or a mail provider's one-click POST): opted out, committed."""
    sub.set_opted_out(True)
    db.session.commit()


def update_preferences(sub: Subscriber, component_ids, locale: str | None, resubscribe: bool = False) -> None:
    """The manage page: components, language, and coming back after an opt-out; committed."""
    try:
        components = find_components(component_ids, sub.tenant)
    except SubscriptionError:
        db.session.rollback()
        raise
    sub.components = components
    sub.all_components = not components
    sub.locale = normalize_locale(locale) or sub.locale
    if resubscribe and sub.confirmed:
        sub.set_opted_out(False)
    db.session.commit()


def live_components(tenant: Tenant | None = None) -> list[Component]:
    """The components a subscriber may choose: the public ones, plus the tenant's own."""
    q = db.session.query(Component).filter(Component.deleted_at.is_(None))
    if tenant is not None:
        q = q.filter((Component.tenant_id.is_(None)) | (Component.tenant_id == tenant.id))
    else:
        q = q.filter(Component.tenant_id.is_(None))
    return q.order_by(Component.position, Component.name).all()


def webhook_url(value: str, field: str = "webhook_url") -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or len(value) > 1000:
        raise SubscriptionError(_("A webhook URL must start with https:// (or http://)."), field=field)
    try:
        check_url(value.strip(), unresolvable_ok=True)
    except OutboundRefused as exc:
        raise SubscriptionError(_("This address is not allowed: %(reason)s.", reason=str(exc)),
                                status=422, field=field) from None
    return value.strip()


def chat_destination(value) -> tuple[str, str, str | None]:
    """(kind, robot URL, signing secret or None) of a chat subscriber: `{"kind", "url", "secret"}`."""
    if not isinstance(value, dict):
        raise SubscriptionError(_("chat must be an object with kind, url and (for signed robots) secret."),
                                field="chat")
    kind = value.get("kind")
    if kind not in CHAT_CHANNELS:
        raise SubscriptionError(_("The chat kind must be one of: %(kinds)s.", kinds=", ".join(CHAT_CHANNELS)),
                                field="chat.kind")
    url = value.get("url")
    if not isinstance(url, str):
        raise SubscriptionError(_("A webhook URL must start with https:// (or http://)."), field="chat.url")
    secret = value.get("secret")
    if secret in (None, ""):
        secret = None
    elif not isinstance(secret, str) or len(secret) > 200 or not secret.isprintable():
        raise SubscriptionError(_("The secret must be text of at most 200 characters."), field="chat.secret")
    return kind, webhook_url(url, field="chat.url"), secret


def masked_url(url: str) -> str:
    """A robot URL is a credential (anyone holding it can post to the group): show where it points, not its key."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/…" if parts.netloc else "…"


# The admin side: the admin API (and the operator's console) add, list, remove and restore subscribers.

def subscriber_json(sub: Subscriber) -> dict:
    return {
        "id": sub.id,
        "channel": sub.channel,
        "email": sub.address if sub.channel == "email" else None,
        "phone": sub.address if sub.channel == "sms" else None,
        "webhook_url": sub.address if sub.channel == "webhook" else None,
        "chat": ({"kind": sub.channel, "url": masked_url(sub.address), "signed": bool(sub.webhook_secret)}
                 if sub.channel in CHAT_CHANNELS else None),
        "tenant": sub.tenant.slug if sub.tenant else None,
        "component_ids": sorted(c.id for c in sub.components),
        "all_components": sub.all_components,
        "locale": sub.locale,
        "confirmed": sub.confirmed,
        "opted_out": sub.opted_out,
        "test_audience": sub.test_audience,
        "source": sub.source,
        "created_at": sub.created_at.isoformat() if sub.created_at else None,
        "deleted_at": sub.deleted_at.isoformat() if sub.deleted_at else None,
    }


def get_subscriber(subscriber_id: int) -> Subscriber | None:
    return db.session.get(Subscriber, subscriber_id)


def search_subscribers(*, deleted: bool = False, channel: str | None = None, tenant_slug: str | None = None,
                       text: str | None = None, test_audience: bool = False, page: int = 1,
                       per_page: int = 100) -> tuple[list[Subscriber], int]:
    """One page of subscribers matching the filters, and how many match in all."""
    q = db.session.query(Subscriber)
    if not deleted:
        q = q.filter(Subscriber.deleted_at.is_(None))
    if channel:
        q = q.filter(Subscriber.channel == channel)
    if tenant_slug:
        tenant = find_tenant(tenant_slug)
        q = q.filter(Subscriber.tenant_id == (tenant.id if tenant else None))
    if text:
        q = q.filter(Subscriber.address.contains(text.strip().lower()))
    if test_audience:
        q = q.filter(Subscriber.test_audience.is_(True))
    total = q.count()
    items = q.order_by(Subscriber.id).offset((page - 1) * per_page).limit(per_page).all()
    return items, total


class SubscriberExists(SubscriptionError):
    def __init__(self, existing: Subscriber):
        super().__init__(_("This subscriber exists already (id %(id)s).", id=existing.id), status=409)
        self.existing = existing


def add_subscriber(*, channel_field: str, value, tenant_slug: str | None, component_ids, locale: str | None,
                   confirmed: bool | None, test_audience: bool, actor: Actor,
                   admin: bool = False) -> tuple[Subscriber, str | None]:
    """An operator adds a subscriber (admin API); returns it and, for a webhook, its signing secret (shown once).

    Committed with its audit entry. An unconfirmed email or phone gets the same confirmation as the form.
    `admin`: the caller holds the admin role; only admins add webhooks and chats (they make the server
    send requests) and pre-confirmed subscribers (they skip double opt-in). Phone numbers follow the
    public form's SMS policy for everyone: premium-rate ranges and other countries cost money per text.
    `channel_field` "chat": `value` is `{"kind", "url", "secret"}`; the robot's secret is kept to sign with.
    """
    chat_secret = None
    try:
        if not admin and (channel_field in ("webhook_url", "chat") or confirmed):
            raise SubscriptionError(_("Only admins can add webhook, chat or pre-confirmed subscribers."), status=403)
        if channel_field == "email":
            channel, address = "email", normalize_email(value)
        elif channel_field == "phone":
            channel, address = "sms", normalize_phone(value)
        elif channel_field == "chat":
            channel, address, chat_secret = chat_destination(value)
        else:
            channel, address = "webhook", webhook_url(value)
        tenant = find_tenant(tenant_slug)
        components = find_components(component_ids or [], tenant)
        wanted_locale = normalize_locale(locale) if locale else "en"
        if wanted_locale is None:
            raise SubscriptionError("use en or zh_Hans", field="locale")
        existing = find_subscriber(channel, address, tenant.id if tenant else None)
        if existing is not None and existing.deleted_at is None:
            raise SubscriberExists(existing)
    except SubscriptionError:
        db.session.rollback()
        raise
    # An admin saying where a webhook or a team's chat robot is needs no double opt-in.
    confirmed = channel == "webhook" or channel in CHAT_CHANNELS if confirmed is None else confirmed
    sub = existing or create_subscriber(channel, address, tenant=tenant, source="admin")
    sub.deleted_at = None
    sub.source = "admin"
    sub.locale = wanted_locale
    sub.components = components
    sub.all_components = not components
    sub.test_audience = test_audience
    sub.confirmed = confirmed
    sub.confirmed_at = utcnow() if confirmed else None
    secret = None
    if channel == "webhook":
        secret = secrets.token_hex(32)
        sub.webhook_secret = secret
    elif channel in CHAT_CHANNELS:
        sub.webhook_secret = chat_secret
    db.session.flush()
    if not confirmed:
        send_confirmation(sub)
    audit.record("subscriber.create", "subscriber", sub.id, actor=actor, after=subscriber_json(sub),
                 summary=f"Added {channel} subscriber {masked_url(address) if channel in CHAT_CHANNELS else address}")
    db.session.commit()
    return sub, secret


def set_subscriber_deleted(sub: Subscriber, delete: bool, actor: Actor) -> Subscriber:
    """Soft delete or restore, with an audit entry; repeating it changes nothing."""
    if (sub.deleted_at is None) == delete:
        before = subscriber_json(sub)
        sub.soft_delete() if delete else sub.restore()
        verb = "delete" if delete else "restore"
        audit.record(f"subscriber.{verb}", "subscriber", sub.id, actor=actor, before=before,
                     after=subscriber_json(sub), summary=f"{verb.capitalize()}d subscriber {sub.address}")
        db.session.commit()
    return sub


SUBSCRIBER_STATES = ("active", "unconfirmed", "unsubscribed", "all")


def subscribers_by_state(*, state: str = "active", channel: str | None = None, text: str | None = None,
                         page: int = 1, per_page: int = 100) -> list[Subscriber]:
    """One page of subscribers in Statuspage's states (the manage API v1): active (confirmed, not opted
    out), unconfirmed, unsubscribed (opted out or deleted) or all."""
    q = db.session.query(Subscriber)
    live = Subscriber.deleted_at.is_(None) & Subscriber.opted_out.is_(False)
    if state == "active":
        q = q.filter(live, Subscriber.confirmed.is_(True))
    elif state == "unconfirmed":
        q = q.filter(live, Subscriber.confirmed.is_(False))
    elif state == "unsubscribed":
        q = q.filter(~live)
    if channel:
        q = q.filter(Subscriber.channel == channel)
    if text:
        q = q.filter(Subscriber.address.contains(text.strip().lower()))
    return q.order_by(Subscriber.id).offset((page - 1) * per_page).limit(per_page).all()
