"""Fixtures: `app`, `client`, `runner`, `db` (flaskr-style), on SQLite by default, and the
steps many folders share: `login`, `bearer`, `fresh_limits`, `fresh_identity_per_request`.

With DATABASE_URL set (the PostgreSQL leg of .ci/run) the same tests run on
that database. The schema is built once per session by the real migrations;
every test starts from empty tables.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from statuspage import cache, create_app  # noqa: E402
from statuspage.extensions import db as _db  # noqa: E402
from tests.factories import PASSWORD, gen_admin, gen_api_token  # noqa: E402

# Tests never talk to real providers, whatever the shell exports.
for _var in ("MAIL_SERVER", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM",
             "TWILIO_MESSAGING_SERVICE_SID", "TWILIO_API_BASE", "SECRET_KEY", "PUBLIC_BASE_URL"):
    os.environ.pop(_var, None)
# The doubles (SMTP, Twilio, feed and webhook servers) listen on loopback, which the outbound
# guard refuses unless allowed; subprocesses the tests start inherit this. Tests of the guard
# itself narrow it through `app_config`.
os.environ["OUTBOUND_ALLOW_NETWORKS"] = "127.0.0.0/8"
os.environ.pop("METRICS_TOKEN", None)


def database_url(tmp_root: Path) -> str:
    return os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_root / 'test.db'}"


def is_postgres() -> bool:
    return (os.environ.get("DATABASE_URL") or "").startswith("postgres")


@pytest.fixture(scope="session")
def _database(tmp_path_factory):
    """Create the schema once with the project's migrations."""
    root = tmp_path_factory.mktemp("statuspage")
    url = database_url(root)
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test-secret"})
    from flask_migrate import downgrade, upgrade

    with app.app_context():
        if is_postgres():
            # A fresh schema for this run, whatever an earlier run left.
            _db.session.execute(text("DROP SCHEMA public CASCADE"))
            _db.session.execute(text("CREATE SCHEMA public"))
            _db.session.commit()
        upgrade()
        _db.session.remove()
        _db.engine.dispose()
    return {"url": url, "root": root, "downgrade": downgrade}


def _empty_all_tables(app) -> None:
    with app.app_context():
        tables = [t.name for t in reversed(_db.metadata.sorted_tables)]
        if is_postgres():
            _db.session.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for t in tables:
                _db.session.execute(text(f'DELETE FROM "{t}"'))
            _db.session.execute(text("DELETE FROM sqlite_sequence")) if _has_sqlite_sequence() else None
        _db.session.execute(text("INSERT INTO site_state (id, version, changed_at) VALUES (1, 1, CURRENT_TIMESTAMP)"))
        _db.session.commit()
        _db.session.remove()


def _has_sqlite_sequence() -> bool:
    return _db.session.execute(text("SELECT 1 FROM sqlite_master WHERE name='sqlite_sequence'")).first() is not None


@pytest.fixture
def app_config(_database, tmp_path):
    """Override in a test module to change the config of `app`."""
    return {}


@pytest.fixture
def app(_database, tmp_path, app_config):
    instance = tmp_path / "instance"
    instance.mkdir()
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": _database["url"],
        "SECRET_KEY": "test-secret",
        "PUBLIC_BASE_URL": "http://status.test",
        "SITE_VERSION_MEMO_SECONDS": 0,
        "MAIL_DEFAULT_SENDER": "status@status.test",
        "OUTBOUND_ALLOW_NETWORKS": "127.0.0.0/8",
    }
    config.update(app_config)
    os.environ["STATUSPAGE_INSTANCE"] = str(instance)
    application = create_app(config)
    cache.clear()
    _empty_all_tables(application)
    ctx = application.app_context()
    ctx.push()
    yield application
    _db.session.remove()
    ctx.pop()
    cache.clear()
    with application.app_context():
        _db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def fresh_identity_per_request(app):
    """The `app` fixture keeps one app context for the whole test, so `g` (where Flask-Login caches
    the signed-in user) would outlive a request; in production every request starts with a fresh one."""
    from flask import g

    @app.before_request
    def _forget_cached_user():
        g.pop("_login_user", None)
        g.pop("csrf_token", None)


@pytest.fixture
def login(client, db, fresh_identity_per_request):
    """login(role="admin", email=None, c=None) creates a user with that role and signs `c` (default
    `client`) in through the login form; returns the user."""

    def _login(role="admin", email=None, c=None):
        user = gen_admin(email=email or f"{role}@example.com", role=role, password=PASSWORD)
        db.session.commit()
        resp = (c or client).post("/admin/login", data={"email": user.email, "password": PASSWORD})
        assert resp.status_code == 302, resp.get_data(as_text=True)
        return user

    return _login


@pytest.fixture
def bearer(db):
    """bearer(role="admin", user_role=None) -> headers with a fresh API token of `role` for a user
    of `user_role` (one user per role, <user_role>@example.com, password PASSWORD)."""
    made = {}

    def _bearer(role="admin", user_role=None):
        user_role = user_role or role
        user = made.get(user_role) or gen_admin(f"{user_role}@example.com", role=user_role)
        made[user_role] = user
        _token, raw = gen_api_token(user, role=role)
        db.session.commit()
        return {"Authorization": f"Bearer {raw}"}

    return _bearer


@pytest.fixture
def fresh_limits():
    """Empty the in-process rate-limit buckets, so requests of an earlier test do not count."""
    from statuspage.ratelimit import reset_local

    reset_local()
