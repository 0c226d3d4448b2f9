"""Cached rendering of public pages, plus the template helpers they share."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from babel.dates import format_datetime as babel_format_datetime
from flask import current_app, render_template
from flask_babel import get_locale, get_timezone

from ..cache import cached_response
from ..templating import locale_code
from .access import Scope

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

    # Public pages hold nothing per visitor (no session, no CSRF token): every reader gets the
    # same bytes, so a CDN or reverse proxy can keep them. The subscribe form checks its origin
    # instead (see public/subscriptions.py).
    return cached_response(("html", *cache_parts(scope, *extra_parts)), render, private=scope.private, status=status,
                           tenant_id=scope.viewer.tenant_id)


def register_helpers(app) -> None:
    app.jinja_env.filters["site_time"] = site_time
    app.jinja_env.filters["utc_iso"] = utc_iso
