"""Finding a tenant by its slug, and signed access links for private tenant pages.

A link carries the tenant id and its `access_version` and is signed with a
key that includes the tenant's random `access_secret`; rotating bumps the
version and draws a new secret, so every link (and cookie) issued before stops
working at once, and no other tenant (not one created after a purge) ever
accepts it.
"""
from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..models import Tenant
from ..tenant_links import link_subscriber

_SALT = "statuspage.tenant-access"
SLUG_MAX = 80


def possible_slug(slug) -> bool:
    """Could this be a slug at all? Control characters never are, and PostgreSQL refuses NUL outright."""
    return isinstance(slug, str) and 0 < len(slug) <= SLUG_MAX and not any(ord(ch) < 32 for ch in slug)


def find_tenant_by_slug(slug, live: bool = True) -> Tenant | None:
    """The tenant with exactly this slug; `live=False` also finds one in the trash."""
    if not possible_slug(slug):
        return None
    query = select(Tenant).where(Tenant.slug == slug)
    if live:
        query = query.where(Tenant.deleted_at.is_(None))
    return db.session.scalars(query).first()


class DatabaseUnavailable(Exception):
    """The database cannot be reached and no earlier copy of the tenant is known."""


@dataclass(frozen=True)
class TenantCopy:
    """What a tenant page needs to know about its tenant, kept from the last good read."""

    id: int
    name: str
    slug: str
    description: str
    private: bool
    access_version: int
    access_secret: str
    deleted_at: None = None


_KNOWN_MAX = 1000
_known: "OrderedDict[str, TenantCopy | None]" = OrderedDict()
_known_lock = threading.Lock()


def find_tenant_for_page(slug) -> Tenant | TenantCopy | None:
    """find_tenant_by_slug for the public pages: while the database is down, the copy last read
    (so the page can be served from the cache, access links still checked); DatabaseUnavailable
    when there is none."""
    if not possible_slug(slug):
        return None
    try:
        tenant = find_tenant_by_slug(slug)
    except SQLAlchemyError:
        db.session.rollback()
        with _known_lock:
            if slug not in _known:
                raise DatabaseUnavailable() from None
            return _known[slug]
    copy = None if tenant is None else TenantCopy(
        tenant.id, tenant.name, tenant.slug, tenant.description or "", tenant.private, tenant.access_version or 1,
        tenant.access_secret)
    with _known_lock:
        _known[slug] = copy
        _known.move_to_end(slug)
        while len(_known) > _KNOWN_MAX:
            _known.popitem(last=False)
    return tenant


def forget_known_tenants() -> None:
    with _known_lock:
        _known.clear()


def find_tenants_by_slugs(slugs: list[str]) -> dict[str, Tenant]:
    """{slug: live tenant} for the slugs that name one; the others are simply absent."""
    wanted = [s for s in slugs if possible_slug(s)]
    if not wanted:
        return {}
    return {t.slug: t for t in db.session.scalars(
        select(Tenant).where(Tenant.slug.in_(wanted), Tenant.deleted_at.is_(None)))}


def public_tenants() -> list[Tenant]:
    """Live tenants whose page anyone may read, by slug (what the static mirror publishes)."""
    return list(db.session.scalars(
        select(Tenant).where(Tenant.private.is_(False), Tenant.deleted_at.is_(None)).order_by(Tenant.slug)))

def _serializer(tenant: Tenant) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=f"{_SALT}:{tenant.access_secret}")


def access_token(tenant: Tenant) -> str:
    return _serializer(tenant).dumps({"t": tenant.id, "v": tenant.access_version or 1})


def access_url(tenant: Tenant) -> str:
    """The absolute link to the tenant's page that lets its holder in."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/t/{tenant.slug}/?access={access_token(tenant)}"


def verify_access(tenant: Tenant, token: str | None) -> bool:
    if not token or len(token) > 500:
        return False
    try:
        data = _serializer(tenant).loads(token)
    except BadSignature:
        return False
    return (isinstance(data, dict) and data.get("t") == tenant.id
            and data.get("v") == (tenant.access_version or 1))


def verify_subscriber_link(tenant: Tenant, token: str | None) -> bool:
    """A notice's signed link (`?s=`): valid while its subscriber still receives the tenant's notices.

    While the database is down it cannot be checked: False (the access cookie still can be).
    """
    try:
        return link_subscriber(tenant, token) is not None
    except SQLAlchemyError:
        db.session.rollback()
        return False


def rotate_access(tenant: Tenant) -> str:
    """Invalidate every earlier link (notices' signed links too); return the new one. The caller commits."""
    tenant.access_version = (tenant.access_version or 1) + 1
    tenant.access_secret = secrets.token_hex(16)
    return access_url(tenant)


def access_cookie_name(tenant: Tenant) -> str:
    return f"sp_access_{tenant.id}"
