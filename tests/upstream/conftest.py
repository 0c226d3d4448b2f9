from __future__ import annotations

import pytest

from statuspage.delivery import outbox
from statuspage.extensions import db
from statuspage.models import AdminUser

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


@pytest.fixture
def admin_mail(monkeypatch):
    """Every admin alert queued, recorded; the real outbox is used as soon as it exists."""
    calls = []
    real = outbox.enqueue_message

    def recording(**kw):
        calls.append(kw)
        try:
            return real(**kw)
        except NotImplementedError:
            return None

    monkeypatch.setattr(outbox, "enqueue_message", recording)
    return calls


@pytest.fixture
def admins(app):
    users = [AdminUser(email="ops@example.test", name="Ops", role="admin", password_hash="!"),
             AdminUser(email="viewer@example.test", name="Viewer", role="viewer", password_hash="!")]
    db.session.add_all(users)
    db.session.commit()
    return users
