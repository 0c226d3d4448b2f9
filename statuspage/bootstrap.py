"""First start on the embedded default: apply migrations, explain how to sign in."""
from __future__ import annotations

import fcntl
import ipaddress
import secrets
import socket
import sys
from pathlib import Path

import click
from flask import Flask, request
from flask_migrate import upgrade
from sqlalchemy.exc import DatabaseError

from .config import record_base_url
from .services import accounts
from .services.audit import Actor

FIRST_ADMIN_EMAIL = "admin@localhost"


def prepare_database(app: Flask) -> None:
    """Apply pending migrations under a file lock (several workers may start at once)."""
    lock_path = Path(app.instance_path) / "migrate.lock"
    with open(lock_path, "w") as lock, app.app_context():
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            upgrade(directory=app.extensions["migrate"].directory)
        except DatabaseError as exc:
            url = app.config["SQLALCHEMY_DATABASE_URI"]
            print(f"statuspage: the database at {url} cannot be used ({exc.orig.__class__.__name__}: {exc.orig}). "
                  "Move the file aside (or fix DATABASE_URL) and start again; a new database will be created.",
                  file=sys.stderr)
            raise SystemExit(2) from None
        except Exception as exc:  # e.g. a file that is not a database at all
            print(f"statuspage: could not prepare the database ({exc.__class__.__name__}: {exc}). "
                  "Check DATABASE_URL, or move instance/statuspage.db aside and start again.", file=sys.stderr)
            raise SystemExit(2) from None
        _ensure_first_admin(app)


def _ensure_first_admin(app: Flask) -> None:
    """Create the first admin once and print its password once; later starts only say how to reset it."""
    if accounts.any_user_exists():
        return
    marker = Path(app.instance_path) / "first_admin_shown"
    password = secrets.token_urlsafe(12)
    accounts.create_user(email=FIRST_ADMIN_EMAIL, password=password, name="Administrator", role="admin",
                         actor=Actor.system())
    if not marker.exists():
        marker.write_text(FIRST_ADMIN_EMAIL + "\n")
        print(f"statuspage: first admin created. Sign in at {app.config['PUBLIC_BASE_URL']}/admin/ "
              f"as {FIRST_ADMIN_EMAIL} with password {password} (shown only this once; "
              f"change it with `flask --app wsgi create-admin --email {FIRST_ADMIN_EMAIL}`).", file=sys.stderr)
        if not app.config.get("PUBLIC_BASE_URL_CONFIGURED"):
            print("statuspage: PUBLIC_BASE_URL is not set, so links in notices, feeds and the demo follow the "
                  "address this server is reached at; set PUBLIC_BASE_URL to the public address to fix them.",
                  file=sys.stderr)


def _base_url(scheme: str, host: str, port: int | str | None) -> str:
    try:
        if ipaddress.ip_address(host).version == 6:
            host = f"[{host}]"
    except ValueError:
        pass
    default = {"http": "80", "https": "443"}.get(scheme)
    return f"{scheme}://{host}" + ("" if port is None or str(port) == default else f":{port}")


def _wildcard(host: str) -> bool:
    return host in ("", "0.0.0.0", "::", "[::]")  # nosec B104: recognises a wildcard bind; binds nothing


def follow_served_address(app: Flask) -> None:
    """PUBLIC_BASE_URL unset: links follow the address actually served, not a guessed :5000.

    `flask run --host H --port P` is known at start (so the first-run line is right); otherwise the first
    request served tells it: the address the server is bound to, or, bound to every interface, the machine's
    own name (never a visitor's Host header). It is kept in instance/served_base_url for the worker, Celery and `flask demo`,
    none of which has a request. A public deployment sets PUBLIC_BASE_URL and none of this runs.
    """
    if app.config.get("PUBLIC_BASE_URL_CONFIGURED") or app.config.get("TESTING"):
        return
    ctx = click.get_current_context(silent=True)
    params = ctx.params if ctx is not None and ctx.command.name == "run" else {}
    if params.get("port") and not _wildcard(str(params.get("host") or "")):
        scheme = "https" if params.get("cert") else "http"
        _use(app, _base_url(scheme, str(params.get("host") or "127.0.0.1"), params["port"]))
        return
    seen = []

    @app.before_request
    def _record_served_address():
        if seen:
            return
        seen.append(True)
        env = request.environ
        host = env.get("SERVER_NAME", "")
        if _wildcard(host):
            # Never the visitor's Host header: whoever sent the first request would choose where every
            # notice's links point. The machine's own name, and a warning to set PUBLIC_BASE_URL.
            host = socket.getfqdn()
            app.logger.warning("PUBLIC_BASE_URL is not set and the server listens on every interface: links "
                               "in notices use %s; set PUBLIC_BASE_URL to the address customers use", host)
        _use(app, _base_url(env.get("wsgi.url_scheme", "http"), host, env.get("SERVER_PORT")))


def _use(app: Flask, base: str) -> None:
    if base != app.config["PUBLIC_BASE_URL"]:
        app.config["PUBLIC_BASE_URL"] = base
        try:
            record_base_url(app.instance_path, base)
        except OSError:  # a read-only instance folder: this process still follows it
            pass
