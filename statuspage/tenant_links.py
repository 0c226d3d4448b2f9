"""Signed incident links for a private tenant's subscribers.

A link carries the tenant, its `access_version`, the subscriber and a piece of
the subscriber's own token. It opens the tenant's pages for as long as that
subscriber still receives the notices: unsubscribing, deleting the
subscriber or rotating the tenant's access link (services/tenants.py) makes
every such link an unknown page again.
"""
from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from .extensions import db
from .models import Subscriber

_SALT = "statuspage.notice-link"


def _serializer(tenant) -> URLSafeSerializer:
    # The tenant's own secret is part of the key: a purged tenant's links open no other tenant.
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=f"{_SALT}:{tenant.access_secret}")


def subscriber_link_token(tenant, subscriber) -> str:
    return _serializer(tenant).dumps([tenant.id, tenant.access_version or 1, subscriber.id, subscriber.token[:8]])


def link_subscriber(tenant, token: str | None) -> Subscriber | None:
    """The subscriber a signed link was made for, while it is still valid for `tenant`; else None."""
    if not token or len(token) > 300:
        return None
    try:
        data = _serializer(tenant).loads(token)
    except BadSignature:
        return None
    if not (isinstance(data, list) and len(data) == 4 and data[0] == tenant.id
            and data[1] == (tenant.access_version or 1) and isinstance(data[2], int)):
        return None
    sub = db.session.get(Subscriber, data[2])
    if (sub is None or sub.tenant_id != tenant.id or sub.deleted_at is not None or sub.opted_out
            or not sub.confirmed or sub.token[:8] != data[3]):
        return None
    return sub
