from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from statuspage.extensions import db
from statuspage.models import AdminUser, Delivery

from .server import FeedServer


@pytest.fixture
def app_config():
    # Short timeouts and a small cap keep the slow-server and huge-body tests fast.
    return {"UPSTREAM_CONNECT_TIMEOUT": 1.0, "UPSTREAM_READ_TIMEOUT": 1.0, "UPSTREAM_TOTAL_TIMEOUT": 3.0,
            "UPSTREAM_MAX_BYTES": 256 * 1024}


@pytest.fixture
def feed_server():
    server = FeedServer()
    yield server
    server.close()


class AdminMail:
    """Admin alerts queued, read back from the outbox's rows: a message queued in a transaction
    that rolled back left none."""

    def committed(self) -> list[dict]:
        rows = db.session.scalars(select(Delivery).where(Delivery.kind == "admin").order_by(Delivery.id))
        return [{"kind": r.kind, "channel": r.channel, "recipient": r.recipient, **json.loads(r.payload or "{}")}
                for r in rows]


@pytest.fixture
def admin_mail(app):
    return AdminMail()


@pytest.fixture
def admins(app):
    users = [AdminUser(email="ops@example.test", name="Ops", role="admin", password_hash="!"),
             AdminUser(email="viewer@example.test", name="Viewer", role="viewer", password_hash="!")]
    db.session.add_all(users)
    db.session.commit()
    return users
