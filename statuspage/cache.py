"""Render once per data change; answer the surge from memory.

Every write to something the public sees bumps `site_state.version` in the
same transaction (see `install_version_listener`). A public view asks
`cached_response` for its body: the ETag is derived from the version and the
view's key, so a conditional GET is answered with 304 before anything is
rendered, and a changed version renders once per process. The version is
read at most once a second per process, well inside the promised 30 s.
While the database is down the last good copy is served (stale-if-error).
"""
from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from datetime import datetime, timezone
from email.utils import format_datetime

from flask import Response, current_app, request
from sqlalchemy import event, inspect, select, text
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from .extensions import db
from .models import Incident, incident_tenant

_PUBLIC_TABLES = {
    "tenant", "component", "component_group", "incident", "incident_component",
    "incident_update", "setting", "upstream_feed", "incident_tenant",
}

_lock = threading.Lock()
_bodies: "OrderedDict[tuple, tuple[bytes, str]]" = OrderedDict()
# The last good copy per page, for while the database is down: bounded like _bodies, least recently used out.
_latest: "OrderedDict[tuple, tuple]" = OrderedDict()
_version_memo: dict[object, tuple[float, tuple | None]] = {}
MAX_ENTRIES = 2000


def bump_site_version(session: Session | None = None) -> None:
    """Mark public data changed. Call after bulk SQL that bypasses the ORM."""
    session = session or db.session
    dialect = session.get_bind().dialect.name
    now = datetime.now(timezone.utc)
    params = {"now": now.replace(tzinfo=None) if dialect == "sqlite" else now}
    result = session.execute(
        text("UPDATE site_state SET version = version + 1, changed_at = :now WHERE id = 1"), params)
    if result.rowcount == 0:
        session.execute(text("INSERT INTO site_state (id, version, changed_at) VALUES (1, 1, :now)"), params)
    session.info["site_version_bumped"] = True
    _version_memo.clear()


def bump_tenant_versions(session: Session, tenant_ids) -> None:
    """Mark changed what only these tenants' pages show (their tenants-only incidents)."""
    done = session.info.setdefault("tenant_versions_bumped", set())
    todo = sorted(set(tenant_ids) - done)
    if not todo:
        return
    dialect = session.get_bind().dialect.name
    now = datetime.now(timezone.utc)
    now = now.replace(tzinfo=None) if dialect == "sqlite" else now
    for tenant_id in todo:
        params = {"now": now, "tenant": tenant_id}
        result = session.execute(text("UPDATE tenant_state SET version = version + 1, changed_at = :now "
                                      "WHERE tenant_id = :tenant"), params)
        if result.rowcount == 0:
            session.execute(text("INSERT INTO tenant_state (tenant_id, version, changed_at) "
                                 "SELECT :tenant, 1, :now WHERE EXISTS (SELECT 1 FROM tenant WHERE id = :tenant) "
                                 "ON CONFLICT DO NOTHING"),
                            params)
    done.update(todo)
    _version_memo.clear()


def _tenants_only_scope(session: Session, obj) -> set[int] | None:
    """The tenants whose pages alone show `obj`, or None when the public may see it (or it cannot be told)."""
    incident = obj if isinstance(obj, Incident) else None
    if incident is None:
        if getattr(obj, "__tablename__", None) not in ("incident_update", "incident_component"):
            return None
        incident = session.identity_map.get(identity_key(Incident, obj.incident_id))
        if incident is None:
            row = session.execute(select(Incident.visibility).where(Incident.id == obj.incident_id)).first()
            return _listed_tenants(session, obj.incident_id) if row is not None and row[0] == "tenants" else None
    state = inspect(incident)
    if "visibility" not in state.dict:
        return None
    visibility = state.attrs.visibility.history
    if any(v != "tenants" for v in (*visibility.added, *visibility.unchanged, *visibility.deleted)):
        return None
    if "tenants" not in state.dict:
        return _listed_tenants(session, incident.id)
    tenants = state.attrs.tenants.history
    ids = {t.id for t in (*tenants.added, *tenants.unchanged, *tenants.deleted) if t is not None}
    return ids or None


def _listed_tenants(session: Session, incident_id: int) -> set[int] | None:
    ids = set(session.execute(select(incident_tenant.c.tenant_id)
                              .where(incident_tenant.c.incident_id == incident_id)).scalars())
    return ids or None


def install_version_listener() -> None:
    @event.listens_for(Session, "after_flush")
    def _bump_on_public_change(session, flush_context):
        tenant_ids: set[int] = set()
        for obj in (*session.new, *session.dirty, *session.deleted):
            table = getattr(obj, "__tablename__", None)
            if table in _PUBLIC_TABLES and (obj in session.new or obj in session.deleted or session.is_modified(obj)):
                # A tenants-only incident changes only its tenants' pages: the public page, its
                # headers and the public version must not move (nor tell anyone it happened).
                scope = _tenants_only_scope(session, obj)
                if scope is None:
                    if not session.info.get("site_version_bumped"):
                        bump_site_version(session)
                else:
                    tenant_ids |= scope
        if tenant_ids:
            bump_tenant_versions(session, tenant_ids)

    @event.listens_for(Session, "after_commit")
    def _reset_after_commit(session):
        bumped = session.info.pop("site_version_bumped", None)
        if session.info.pop("tenant_versions_bumped", None) or bumped:
            _version_memo.clear()

    @event.listens_for(Session, "after_rollback")
    def _reset_after_rollback(session):
        session.info.pop("site_version_bumped", None)
        session.info.pop("tenant_versions_bumped", None)


def current_version() -> tuple[int, datetime] | None:
    """(version, changed_at), or None when the database cannot be reached."""
    now = time.monotonic()
    memo = _version_memo.get("v")
    if memo and now - memo[0] < current_app.config.get("SITE_VERSION_MEMO_SECONDS", 1.0):
        return memo[1]
    try:
        row = db.session.execute(text("SELECT version, changed_at FROM site_state WHERE id = 1")).first()
    except Exception:  # the database is down: callers fall back to stale copies
        db.session.rollback()
        current_app.logger.warning("site version unavailable; serving stale pages", exc_info=True)
        return None
    if row is None:
        value = (0, datetime(2020, 1, 1, tzinfo=timezone.utc))
    else:
        changed = row[1]
        if isinstance(changed, str):
            changed = datetime.fromisoformat(changed)
        if changed.tzinfo is None:
            changed = changed.replace(tzinfo=timezone.utc)
        # PostgreSQL hands back the session's zone; HTTP dates need UTC proper.
        changed = changed.astimezone(timezone.utc)
        value = (int(row[0]), changed)
    _version_memo["v"] = (now, value)
    return value


def tenant_version(tenant_id: int) -> tuple[int, datetime | None] | None:
    """(version, changed_at) of what only this tenant's page shows; None when the database cannot be reached."""
    now = time.monotonic()
    memo = _version_memo.get(("tenant", tenant_id))
    if memo and now - memo[0] < current_app.config.get("SITE_VERSION_MEMO_SECONDS", 1.0):
        return memo[1]
    try:
        row = db.session.execute(text("SELECT version, changed_at FROM tenant_state WHERE tenant_id = :t"),
                                 {"t": tenant_id}).first()
    except Exception:  # the database is down: callers fall back to stale copies
        db.session.rollback()
        return None
    value: tuple[int, datetime | None] = (0, None)
    if row is not None:
        changed = row[1]
        if isinstance(changed, str):
            changed = datetime.fromisoformat(changed)
        if changed.tzinfo is None:
            changed = changed.replace(tzinfo=timezone.utc)
        value = (int(row[0]), changed.astimezone(timezone.utc))
    _version_memo[("tenant", tenant_id)] = (now, value)
    return value


def forget_version() -> None:
    """Read the data version afresh on the next call (the mirror's publisher, once it has seen a change)."""
    _version_memo.clear()


def data_changed_at(tenant_id: int | None = None) -> datetime | None:
    """When what this page shows last changed: the public data, or a tenant's own if that is later."""
    version = current_version()
    if version is None:
        return None
    if tenant_id is not None:
        own = tenant_version(tenant_id)
        if own is not None and own[1] is not None and own[1] > version[1]:
            return own[1]
    return version[1]


def clear() -> None:
    with _lock:
        _bodies.clear()
        _latest.clear()
    _version_memo.clear()


def cached_response(parts: tuple, render, mimetype: str = "text/html; charset=utf-8",
                    private: bool = False, status: int = 200, tenant_id: int | None = None) -> Response:
    """Answer from cache keyed by (path, parts, data version, UTC day).

    A tenant's page also keys on that tenant's own version (its tenants-only incidents).
    """
    base_key = (request.path, parts)
    version = current_version()
    if version is not None and tenant_id is not None:
        own = tenant_version(tenant_id)
        version = None if own is None else (
            (version[0], own[0]), max(version[1], own[1]) if own[1] is not None else version[1])
    if version is None:
        with _lock:
            stale = _latest.get(base_key)
            if stale is not None:
                _latest.move_to_end(base_key)
        if stale is None:
            return Response("Service temporarily unavailable. Please retry shortly.\n", 503,
                            mimetype="text/plain", headers={"Retry-After": "10"})
        body, etag, mt, changed = stale
        return _finish(body, etag, mt, changed, private, stale=True)
    day = datetime.now(timezone.utc).date().isoformat()
    key = (*base_key, version[0], day)
    etag = '"' + hashlib.sha256(repr(key).encode()).hexdigest()[:32] + '"'
    changed = version[1]
    if _matches(etag):
        return _not_modified(etag, changed, private)
    with _lock:
        hit = _bodies.get(key)
        if hit is not None:
            _bodies.move_to_end(key)
    if hit is None:
        body = render()
        if isinstance(body, str):
            body = body.encode("utf-8")
        with _lock:
            _bodies[key] = (body, mimetype)
            while len(_bodies) > MAX_ENTRIES:
                _bodies.popitem(last=False)
            _latest[base_key] = (body, etag, mimetype, changed)
            _latest.move_to_end(base_key)
            while len(_latest) > MAX_ENTRIES:
                _latest.popitem(last=False)
    else:
        body, mimetype = hit
    return _finish(body, etag, mimetype, changed, private, status=status)


def _matches(etag: str) -> bool:
    header = request.headers.get("If-None-Match")
    if not header:
        return False
    tags = [t.strip() for t in header.split(",")]
    return "*" in tags or etag in tags or f"W/{etag}" in tags


def _cache_control(private: bool) -> str:
    max_age = current_app.config.get("PUBLIC_CACHE_MAX_AGE", 10)
    scope = "private" if private else "public"
    return f"{scope}, max-age={max_age}, stale-while-revalidate=30, stale-if-error=86400"


def _not_modified(etag: str, changed: datetime, private: bool) -> Response:
    resp = Response(status=304)
    resp.headers["ETag"] = etag
    resp.headers["Last-Modified"] = format_datetime(changed, usegmt=True)
    resp.headers["Cache-Control"] = _cache_control(private)
    resp.headers["Vary"] = "Accept-Language, Cookie"
    return resp


def _finish(body: bytes, etag: str, mimetype: str, changed: datetime, private: bool,
            stale: bool = False, status: int = 200) -> Response:
    resp = Response(body, status=status, content_type=mimetype)
    resp.headers["ETag"] = etag
    resp.headers["Last-Modified"] = format_datetime(changed, usegmt=True)
    resp.headers["Cache-Control"] = _cache_control(private)
    resp.headers["Vary"] = "Accept-Language, Cookie"
    if stale:
        resp.headers["Warning"] = '110 - "Response is Stale"'
    return resp
