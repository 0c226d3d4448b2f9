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
from sqlalchemy import event, text
from sqlalchemy.orm import Session

from .extensions import db

_PUBLIC_TABLES = {
    "tenant", "component", "component_group", "incident", "incident_component",
    "incident_update", "setting", "upstream_feed", "incident_tenant",
}

_lock = threading.Lock()
_bodies: "OrderedDict[tuple, tuple[bytes, str]]" = OrderedDict()
_latest: dict[tuple, tuple] = {}
_version_memo: dict[str, tuple[float, tuple[int, datetime] | None]] = {}
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


def install_version_listener() -> None:
    @event.listens_for(Session, "after_flush")
    def _bump_on_public_change(session, flush_context):
        if session.info.get("site_version_bumped"):
            return
        for obj in (*session.new, *session.dirty, *session.deleted):
            table = getattr(obj, "__tablename__", None)
            if table in _PUBLIC_TABLES and (obj in session.new or obj in session.deleted or session.is_modified(obj)):
                bump_site_version(session)
                return

    @event.listens_for(Session, "after_commit")
    def _reset_after_commit(session):
        if session.info.pop("site_version_bumped", None):
            _version_memo.clear()

    @event.listens_for(Session, "after_rollback")
    def _reset_after_rollback(session):
        session.info.pop("site_version_bumped", None)


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


def forget_version() -> None:
    """Read the data version afresh on the next call (the mirror's publisher, once it has seen a change)."""
    _version_memo.clear()


def clear() -> None:
    with _lock:
        _bodies.clear()
        _latest.clear()
    _version_memo.clear()


def cached_response(parts: tuple, render, mimetype: str = "text/html; charset=utf-8",
                    private: bool = False, status: int = 200) -> Response:
    """Answer from cache keyed by (path, parts, data version, UTC day)."""
    base_key = (request.path, parts)
    version = current_version()
    if version is None:
        with _lock:
            stale = _latest.get(base_key)
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
