"""A second app whose database the test can take away and give back.

PostgreSQL: the app talks through a loopback TCP proxy that is cut and
restored (the shared server itself is never stopped). SQLite: the app gets
its own copy of the database file, which is moved aside during the outage.
"""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from statuspage import create_app
from statuspage.extensions import db
from tests.faults.proxy import CuttableProxy


class DatabaseOutage:
    def __init__(self, app, tmp_path: Path, **config):
        url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
        self.proxy = None
        self.sqlite_path = None
        if url.get_backend_name() == "postgresql":
            self.proxy = CuttableProxy(url.host or "127.0.0.1", url.port or 5432)
            target = url.set(host="127.0.0.1", port=self.proxy.port)
            options = {"pool_pre_ping": True, "connect_args": {"connect_timeout": 3}}
        else:
            # WAL mode: the backup API copies committed pages the main app has not checkpointed yet.
            self.sqlite_path = tmp_path / "outage.db"
            with app.app_context():
                db.session.commit()
            src = sqlite3.connect(url.database)
            dst = sqlite3.connect(self.sqlite_path)
            src.backup(dst)
            src.close()
            dst.close()
            target = url.set(database=str(self.sqlite_path))
            options = {"connect_args": {"timeout": 1, "check_same_thread": False}}
        self.app = create_app({**{k: v for k, v in app.config.items() if k.isupper()},
                               "SQLALCHEMY_DATABASE_URI": target.render_as_string(hide_password=False),
                               "SQLALCHEMY_ENGINE_OPTIONS": options, **config})

    def cut(self) -> None:
        if self.proxy is not None:
            self.proxy.cut()
            return
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()
        os.replace(self.sqlite_path, str(self.sqlite_path) + ".away")
        self.sqlite_path.mkdir()  # a directory where the file was: every open fails

    def restore(self) -> None:
        if self.proxy is not None:
            self.proxy.restore()
            return
        self.sqlite_path.rmdir()
        os.replace(str(self.sqlite_path) + ".away", self.sqlite_path)

    def close(self) -> None:
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()
        if self.proxy is not None:
            self.proxy.close()
