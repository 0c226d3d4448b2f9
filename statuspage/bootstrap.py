"""First start on the embedded default: apply migrations, explain how to sign in."""
from __future__ import annotations

import fcntl
import secrets
import sys
from pathlib import Path

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy.exc import DatabaseError

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
