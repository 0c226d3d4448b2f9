"""The application factory: configuration, extensions, blueprints, CLI, the worker or Celery."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from dotenv import load_dotenv
from flask import Flask
from sqlalchemy import event
from werkzeug.middleware.proxy_fix import ProxyFix

from . import models  # noqa: F401  (registers the tables)
from .admin import bp as admin_bp
from .admin_api import bp as api_bp
from .bootstrap import follow_served_address, prepare_database
from .cache import install_version_listener
from .channels import register_channel_blueprints
from .cli import register_cli
from .config import TESTING_OVERRIDES, config_from_env, load_secret_key
from .delivery.runner import start_embedded_worker
from .errors import register_error_handlers
from .extensions import babel, csrf, db, limiter, login_manager, mail, migrate
from .i18n import compile_catalogues_at_start, register_i18n, select_babel_locale, select_timezone
from .integrations import bp as integrations_bp
from .jobs import PERIODIC_JOBS
from .manage_api import bp as manage_api_bp
from .models import AdminUser
from .public import bp as public_bp
from .public.api_v2 import bp as api_v2_bp
from .public.embed import bp as embed_bp
from .public.feeds import bp as feeds_bp
from .public.health import bp as health_bp
from .public.republish import start_republisher
from .public.subscriptions import bp as subscriptions_bp
from .security import register_security_headers
from .tasks import init_celery
from .templating import register_template_helpers

ROOT = Path(__file__).resolve().parent.parent


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
        hops = int(app.config["PROXY_FIX"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops)

    _init_extensions(app)
    _register_blueprints(app)
    _register_cli(app)
    register_error_handlers(app)
    register_security_headers(app)
    register_template_helpers(app)
    register_i18n(app)
    compile_catalogues_at_start(app, ROOT / "translations")

    follow_served_address(app)
    if app.config.get("AUTO_MIGRATE") and not app.config.get("TESTING"):
        prepare_database(app)
    if app.config.get("EMBEDDED_WORKER") and not app.config.get("TESTING") and _is_serving():
        start_embedded_worker(app, PERIODIC_JOBS)
    if app.config.get("MIRROR_DIR") and not app.config.get("TESTING") and _is_serving():
        start_republisher(app)
    if app.config.get("CELERY_BROKER_URL"):
        init_celery(app)
    return app


def _load_dotenv() -> None:
    load_dotenv(os.path.join(os.getcwd(), ".env"), override=False)


def _is_serving() -> bool:
    """True in `flask run` and gunicorn, false for other CLI commands."""
    argv = " ".join(sys.argv)
    return ("flask" in argv and " run" in argv) or "gunicorn" in argv or os.environ.get("STATUSPAGE_SERVE") == "1"


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    mail.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_babel_locale, timezone_selector=select_timezone,
                   default_translation_directories=str(ROOT / "translations"))
    login_manager.init_app(app)
    login_manager.login_view = "admin.login"
    install_version_listener_once(install_version_listener)
    with app.app_context():
        _tune_sqlite(db.engine)

    @login_manager.user_loader
    def load_user(user_id: str):
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
    """WAL, foreign keys and a busy timeout on every SQLite connection; the files readable by their owner only."""
    if engine.dialect.name != "sqlite":
        return
    path = engine.url.database if engine.url.database and ":memory:" not in str(engine.url) else None
    if path:
        # SQLite gives the -wal and -shm files the mode of the database file: create it 0600 before
        # SQLite does (0644), and tighten one made by an older version.
        try:
            os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        except OSError:  # no such directory (yet) or read-only: SQLite reports it on connect
            pass
        _owner_only(path)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record):
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        if ":memory:" not in str(engine.url) and engine.url.database:
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()
        if path:
            _owner_only(path)


def _owner_only(db_path: str) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            os.chmod(db_path + suffix, 0o600)
        except FileNotFoundError:
            pass
        except PermissionError:  # another user's file (a shared install): leave it to its owner
            pass


def _register_blueprints(app: Flask) -> None:
    app.register_blueprint(public_bp)
    app.register_blueprint(api_v2_bp)
    app.register_blueprint(embed_bp)
    app.register_blueprint(feeds_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(subscriptions_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(api_bp, url_prefix="/api/admin/v1")
    csrf.exempt(api_bp)
    app.register_blueprint(manage_api_bp, url_prefix="/v1")
    csrf.exempt(manage_api_bp)
    # Monitoring tools post with the secret URL, not a session: no CSRF token to carry.
    app.register_blueprint(integrations_bp)
    csrf.exempt(integrations_bp)
    register_channel_blueprints(app)


def _register_cli(app: Flask) -> None:
    register_cli(app)
