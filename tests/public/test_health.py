"""Liveness, readiness and metrics, as an orchestrator and Prometheus see them."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from statuspage import create_app
from statuspage.extensions import db
from statuspage.models import Delivery


@pytest.fixture
def broken_app(tmp_path, monkeypatch):
    """An app whose database cannot be opened at all."""
    monkeypatch.setenv("STATUSPAGE_INSTANCE", str(tmp_path))
    return create_app({"TESTING": True, "SECRET_KEY": "x",
                       "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/statuspage.db"})


def test_healthz_answers_without_a_database(broken_app):
    resp = broken_app.test_client().get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ok"}


def test_readyz_is_503_with_a_reason_when_the_database_is_unreachable(broken_app):
    resp = broken_app.test_client().get("/readyz")
    assert resp.status_code == 503
    assert resp.get_json()["error"]["code"] == "database_unreachable"


def test_readyz_is_ready_on_a_migrated_database(client):
    resp = client.get("/readyz")
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["status"] == "ready"


def test_readyz_is_503_when_migrations_are_behind(app, client):
    (real,) = db.session.execute(text("SELECT version_num FROM alembic_version")).one()
    db.session.execute(text("UPDATE alembic_version SET version_num = 'older'"))
    db.session.commit()
    try:
        resp = client.get("/readyz")
        assert resp.status_code == 503
        body = resp.get_json()
        assert body["error"]["code"] == "migrations_pending"
        assert "db upgrade" in body["error"]["message"]
    finally:
        db.session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": real})
        db.session.commit()


def metric(body: str, name: str, **labels) -> float | None:
    for line in body.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            if all(f'{k}="{v}"' in line for k, v in labels.items()):
                return float(line.rsplit(" ", 1)[1])
    return None


def test_metrics_count_requests_by_endpoint(client):
    before = metric(client.get("/metrics").get_data(as_text=True), "statuspage_http_requests_total",
                    endpoint="public.index", status="200") or 0
    client.get("/")
    client.get("/")
    body = client.get("/metrics").get_data(as_text=True)
    assert metric(body, "statuspage_http_requests_total", endpoint="public.index", status="200") == before + 2
    assert metric(body, "statuspage_http_request_duration_seconds_count", endpoint="public.index") >= 2
    assert re.search(r'^statuspage_build_info\{version="[^"]+"\} 1\.0$', body, re.M)


def test_metrics_show_outbox_depth_by_status(app, client):
    for status in ("queued", "queued", "failed"):
        db.session.add(Delivery(kind="test", channel="email", recipient="ops@example.com", status=status))
    db.session.commit()
    body = client.get("/metrics").get_data(as_text=True)
    assert metric(body, "statuspage_outbox_deliveries", status="queued") == 2
    assert metric(body, "statuspage_outbox_deliveries", status="failed") == 1
    assert metric(body, "statuspage_outbox_deliveries", status="sent") == 0
    assert metric(body, "statuspage_site_version") >= 1
    assert client.get("/metrics").mimetype == "text/plain"
