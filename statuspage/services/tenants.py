"""Finding a tenant by its slug, and signed access links for private tenant pages.

A link carries the tenant id and its `access_version` and is signed with a
key that includes the tenant's random `access_secret`; rotating bumps the
version and draws a new secret, so every link (and cookie) issued before stops
working at once, and no other tenant (not one created after a purge) ever
accepts it.
"""
from __future__ import annotations

import secrets

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

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
    """A notice's signed link (`?s=`): valid while its subscriber still receives the tenant's notices."""
    return link_subscriber(tenant, token) is not None


def rotate_access(tenant: Tenant) -> str:
    """Invalidate every earlier link (notices' signed links too); return the new one. The caller commits."""
    tenant.access_version = (tenant.access_version or 1) + 1
    tenant.access_secret = secrets.token_hex(16)
    return access_url(tenant)


def access_cookie_name(tenant: Tenant) -> str:
    return f"sp_access_{tenant.id}"
