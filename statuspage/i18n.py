"""Language and time zone of the viewer: the remembered choice, the switcher, the catalogues.

The locale itself is picked by `select_locale` (?lang=, then the
`lang` cookie, then Accept-Language); this module remembers a ?lang= choice
in a cookie, builds the switcher's links, tells cached views which variant
they render, and compiles the .po catalogues when the .mo files are missing
or older (so `flask run` on a fresh clone speaks Chinese without `make`).
"""
from __future__ import annotations

import os
import tempfile
from functools import lru_cache
from pathlib import Path

import pytz
from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, current_app, has_request_context, request, url_for
from flask_babel import get_timezone, refresh

from .security import is_embeddable
from .templating import locale_code

LANG_COOKIE = "lang"
ONE_YEAR = 365 * 24 * 3600
# Each language is named in itself, so a reader finds theirs whatever the page shows.
LANGUAGES = (("en", "English", "en"), ("zh_Hans", "简体中文", "zh-Hans"))


def select_locale() -> str:
    """?lang= (remembered in a cookie), then the cookie, then Accept-Language."""
    if not has_request_context():  # CLI, workers: the site default (messages use force_locale)
        return current_app.config.get("BABEL_DEFAULT_LOCALE") or "en"
    wanted = request.args.get("lang") or request.cookies.get("lang")
    if wanted:
        normalized = normalize_locale(wanted)
        if normalized:
            return normalized
    best = request.accept_languages.best_match(["en", "zh", "zh-CN", "zh-Hans", "zh-SG"], default="en")
    return "zh_Hans" if best and best.lower().startswith("zh") else "en"


def select_babel_locale():
    """select_locale() as a babel Locale, parsed once per code: parsing stats the locale data files,
    which was a tenth of a cached page's time under load."""
    return _parsed_locale(select_locale())


@lru_cache(maxsize=16)
def _parsed_locale(code: str):
    return Locale.parse(code)


def normalize_locale(value: str | None) -> str | None:
    if not value:
        return None
    v = value.strip().replace("-", "_").lower()
    if v in ("en", "en_us", "en_gb"):
        return "en"
    if v in ("zh", "zh_hans", "zh_cn", "zh_sg", "zh_hans_cn"):
        return "zh_Hans"
    return None


def select_timezone() -> str | None:
    """The viewer's zone from the `tz` cookie (static/js/tz.js), else SITE_TIME_ZONE.

    Checked with pytz, the library Flask-Babel renders with: zoneinfo also accepts names such as
    `Factory`, `localtime` or `posix/UTC` that pytz refuses, and those made every page a 500.
    """
    for tz in (request.cookies.get("tz"), current_app.config.get("SITE_TIME_ZONE")):
        if tz and known_time_zone(tz):
            return tz
    return None


def known_time_zone(name: str) -> bool:
    return isinstance(name, str) and len(name) <= 64 and name in pytz.all_timezones_set


def register_i18n(app: Flask) -> None:
    # Flask-Babel caches the locale on `g`; a request inside an already pushed
    # app context (the test client, CLI renders) must choose afresh.
    app.before_request(refresh)
    app.after_request(remember_language_choice)

    @app.context_processor
    def _language_helpers():
        return {"lang_url": lang_url, "languages": LANGUAGES, "viewer_time_zone": viewer_time_zone}


def remember_language_choice(resp):
    """`?lang=zh_Hans` sticks: later pages without it keep the chosen language."""
    if is_embeddable(request.path):  # ?lang= there picks the widget's language, not the reader's site-wide choice
        return resp
    wanted = normalize_locale(request.args.get(LANG_COOKIE))
    if wanted and request.cookies.get(LANG_COOKIE) != wanted:
        resp.set_cookie(LANG_COOKIE, wanted, max_age=ONE_YEAR, samesite="Lax", httponly=True,
                        secure=request.is_secure)
        # A shared cache must not hand this Set-Cookie to other readers.
        resp.headers["Cache-Control"] = "private, no-cache"
    return resp


def lang_url(code: str) -> str:
    """The current page in another language, built by url_for from the matched route.

    Never from the raw path (`/\\evil.example` would become a link off-site) and never with the
    visitor's other query arguments: a cached page would hand them to every later reader. Only a
    plain page number survives; a page with no route (a 404) links to the home page.
    """
    args = {}
    page = request.args.get("page", "")
    if page.isdigit() and len(page) <= 6:
        args["page"] = page
    args[LANG_COOKIE] = code
    if request.endpoint and request.url_rule is not None:
        try:
            return url_for(request.endpoint, **(request.view_args or {}), **args)
        except Exception:  # why: a route that cannot be rebuilt (odd view args) still gets a safe link
            pass
    return url_for("public.index", lang=code)


def viewer_time_zone() -> str:
    """The zone times are shown in: the `tz` cookie set by static/js/tz.js, else the site's."""
    return str(get_timezone())


def cache_variant() -> tuple[str, str]:
    """What a cached public page varies by besides its data: (locale, time zone).

    Pass it in the `parts` of `statuspage.cache.cached_response`, or a reader
    gets a page rendered for someone else's language or zone.
    """
    return (locale_code(), viewer_time_zone())


def ensure_compiled_catalogues(directory: str | os.PathLike) -> list[Path]:
    """Compile every messages.po whose .mo is missing or older; return the ones written."""
    written = []
    for po_path in sorted(Path(directory).glob("*/LC_MESSAGES/messages.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as fh:
            catalog = read_po(fh, locale=po_path.parent.parent.name)
        # Write beside and rename: concurrent workers never read half a file.
        fd, tmp = tempfile.mkstemp(dir=po_path.parent, suffix=".mo.tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                write_mo(out, catalog, use_fuzzy=False)
            os.chmod(tmp, 0o644)  # mkstemp makes it owner-only; workers may run as another user
            os.replace(tmp, mo_path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        written.append(mo_path)
    return written


def compile_catalogues_at_start(app: Flask, directory: str | os.PathLike) -> None:
    try:
        for path in ensure_compiled_catalogues(directory):
            app.logger.info("compiled %s", path)
    except OSError:  # a read-only install: whatever .mo files exist are used
        app.logger.warning("could not compile translations in %s", directory, exc_info=True)
