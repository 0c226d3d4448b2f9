"""statuspage: a self-hosted, multi-tenant status page and notification service."""
from __future__ import annotations

import os
import sys
from functools import lru_cache
from pathlib import Path

from flask import Flask, current_app, has_request_context, request

from .config import TESTING_OVERRIDES, config_from_env, load_secret_key
from .extensions import babel, csrf, db, limiter, login_manager, mail, migrate

ROOT = Path(__file__).resolve().parent.parent
SUPPORTED_LOCALES = ("en", "zh_Hans")


def create_app(config: dict | None = None) -> Flask:
    """Build the app. `config` overrides the environment (tests pass theirs)."""
    _load_dotenv()
    app = Flask(
        __name__,
        instance_path=os.environ.get("STATUSPAGE_INSTANCE") or str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(config_from_env(app.instance_path))
    if config and config.get("TESTING"):
        app.config.update(TESTING_OVERRIDES)
    if config:
        app.config.update(config)
    app.config.setdefault("SECRET_KEY", None)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_secret_key(app.instance_path)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") and "SQLALCHEMY_ENGINE_OPTIONS" not in (config or {}):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30, "check_same_thread": False}}

    if app.config.get("PROXY_FIX"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["PROXY_FIX"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops)

    _init_extensions(app)
    _register_blueprints(app)
    _register_cli(app)
    from .errors import register_error_handlers
    from .security import register_security_headers

    register_error_handlers(app)
    register_security_headers(app)
    from .templating import register_template_helpers

    register_template_helpers(app)
    from .i18n import compile_catalogues_at_start, register_i18n

    register_i18n(app)
    compile_catalogues_at_start(app, ROOT / "translations")

    if app.config.get("AUTO_MIGRATE") and not app.config.get("TESTING"):
        from .bootstrap import prepare_database

        prepare_database(app)
    if app.config.get("EMBEDDED_WORKER") and not app.config.get("TESTING") and _is_serving():
        from .delivery.runner import start_embedded_worker

        start_embedded_worker(app)
    if app.config.get("CELERY_BROKER_URL"):
        from .tasks import init_celery

        init_celery(app)
    return app


def _load_dotenv() -> None:
    try:
        from dotenv import load_dotenv
    except ImportError:  # pragma: no cover
        return
    load_dotenv(os.path.join(os.getcwd(), ".env"), override=False)


def _is_serving() -> bool:
    """True in `flask run` and gunicorn, false for other CLI commands."""
    argv = " ".join(sys.argv)
    return ("flask" in argv and " run" in argv) or "gunicorn" in argv or os.environ.get("STATUSPAGE_SERVE") == "1"


def _init_extensions(app: Flask) -> None:
    from . import models  # noqa: F401  (register the tables)
    from .cache import install_version_listener

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    mail.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=_selected_locale, timezone_selector=select_timezone,
                   default_translation_directories=str(ROOT / "translations"))
    login_manager.init_app(app)
    login_manager.login_view = "admin.login"
    install_version_listener_once(install_version_listener)
    with app.app_context():
        _tune_sqlite(db.engine)

    @login_manager.user_loader
    def load_user(user_id: str):
        from .models import AdminUser

        try:
            uid, version = (int(x) for x in user_id.split(":", 1))
        except ValueError:
            return None
        user = db.session.get(AdminUser, uid)
        if user is None or user.deleted_at is not None or user.session_version != version:
            return None
        return user


_listener_installed = False


def install_version_listener_once(install) -> None:
    global _listener_installed
    if not _listener_installed:
        install()
        _listener_installed = True


def _tune_sqlite(engine) -> None:
    """WAL, foreign keys and a busy timeout on every SQLite connection."""
    if engine.dialect.name != "sqlite":
        return
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record):
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        if ":memory:" not in str(engine.url) and engine.url.database:
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()


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


def _selected_locale():
    """select_locale() as a babel Locale, parsed once per code: parsing stats the locale data files,
    which was a tenth of a cached page's time under load."""
    return _parsed_locale(select_locale())


@lru_cache(maxsize=16)
def _parsed_locale(code: str):
    from babel import Locale

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
    """The viewer's zone from the `tz` cookie (static/js/tz.js), else SITE_TIME_ZONE."""
    from zoneinfo import ZoneInfo

    for tz in (request.cookies.get("tz"), current_app.config.get("SITE_TIME_ZONE")):
        if tz:
            try:
                ZoneInfo(tz)
                return tz
            except Exception:
                continue
    return None


def _register_blueprints(app: Flask) -> None:
    from .admin import bp as admin_bp
    from .admin_api import bp as api_bp
    from .public import bp as public_bp
    from .public.api_v2 import bp as api_v2_bp
    from .public.embed import bp as embed_bp
    from .public.feeds import bp as feeds_bp
    from .public.health import bp as health_bp
    from .public.subscriptions import bp as subscriptions_bp
    from .channels import register_channel_blueprints

    app.register_blueprint(public_bp)
    app.register_blueprint(api_v2_bp)
    app.register_blueprint(embed_bp)
    app.register_blueprint(feeds_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(subscriptions_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(api_bp, url_prefix="/api/admin/v1")
    csrf.exempt(api_bp)
    register_channel_blueprints(app)


def _register_cli(app: Flask) -> None:
    from .cli import register_cli

    register_cli(app)
