"""Cached rendering of public pages, plus the template helpers they share."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from babel.dates import format_datetime as babel_format_datetime
from flask import current_app, render_template
from flask_babel import get_locale, get_timezone
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from ..cache import cached_response
from ..templating import locale_code
from .access import Scope

# Stands in for the CSRF field inside cached HTML; user text can never produce it
# because every user string is escaped. Replaced per response, so a cached page
# never hands one visitor's token to another.
CSRF_MARK = "<!--sp:csrf-->"
_CSRF_MARK_BYTES = CSRF_MARK.encode()
_split_pages: dict[bytes, list[bytes]] = {}


def csrf_field() -> Markup:
    return Markup(CSRF_MARK)


def site_zone() -> ZoneInfo:
    """The reader's zone (the `tz` cookie set by static/js/tz.js), else SITE_TIME_ZONE."""
    try:
        return ZoneInfo(str(get_timezone()) or current_app.config.get("SITE_TIME_ZONE") or "UTC")
    except Exception:
        return ZoneInfo("UTC")


def site_time(value: datetime | None) -> str:
    """A timestamp in the reader's time zone, with the zone named."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return babel_format_datetime(value, "yyyy-MM-dd HH:mm zzz", tzinfo=site_zone(), locale=get_locale() or "en")


def utc_iso(value: datetime | None) -> str:
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def cache_parts(scope: Scope, *extra) -> tuple:
    # The checked zone, not the raw `tz` cookie: made-up cookie values must not multiply cache entries.
    return (locale_code(), *scope.viewer.cache_parts, str(get_timezone()), *extra)


def render_page(scope: Scope, template: str, build, *extra_parts, status: int = 200):
    """Render `template` with the context `build()` returns, once per data change."""
    def render() -> str:
        return render_template(template, scope=scope, tenant=scope.tenant, base_path=scope.base_path, **build())

    resp = cached_response(("html", *cache_parts(scope, *extra_parts)), render, private=scope.private, status=status)
    if resp.status_code == 200 and not resp.direct_passthrough:
        parts = _csrf_split(resp.get_data())
        if len(parts) > 1:
            field = f'<input type="hidden" name="csrf_token" value="{generate_csrf()}">'.encode()
            resp.set_data(field.join(parts))
    return resp


def _csrf_split(body: bytes) -> list[bytes]:
    """The cached page cut at its CSRF marks, once per cached copy.

    Searching a large page for the mark on every hit cost more than serving it; joining the parts
    around this visitor's field is one copy. Keyed by the body itself: a hit hands back the same
    bytes object, whose hash is computed once, and equal content can never map to other parts.
    """
    parts = _split_pages.get(body)
    if parts is None:
        parts = body.split(_CSRF_MARK_BYTES)
        _split_pages[body] = parts
        while len(_split_pages) > 32:
            _split_pages.pop(next(iter(_split_pages)), None)
    return parts


def register_helpers(app) -> None:
    app.jinja_env.filters["site_time"] = site_time
    app.jinja_env.filters["utc_iso"] = utc_iso
    app.jinja_env.globals["csrf_field"] = csrf_field
