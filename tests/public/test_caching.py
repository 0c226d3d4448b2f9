"""Pages and JSON render once per change and answer conditional GETs with 304."""
from __future__ import annotations

import re

import pytest

from statuspage.extensions import db
from tests.factories import gen_component, gen_incident

CACHED_PATHS = ("/", "/history", "/api/v2/summary.json", "/api/v2/status.json", "/feed.atom", "/feed.rss")


def max_age(resp) -> int:
    return int(re.search(r"max-age=(\d+)", resp.headers["Cache-Control"]).group(1))


def test_validators_and_a_short_max_age(client):
    for path in CACHED_PATHS:
        resp = client.get(path)
        assert resp.status_code == 200, path
        assert resp.headers["ETag"] and resp.headers["Last-Modified"], path
        assert 0 < max_age(resp) <= 30, path
        assert resp.headers["Cache-Control"].startswith("public"), path


def test_conditional_get_is_answered_with_304(client):
    for path in CACHED_PATHS:
        first = client.get(path)
        again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304, path
        assert again.data == b""
        assert again.headers["ETag"] == first.headers["ETag"]


@pytest.mark.parametrize("path", CACHED_PATHS)
def test_a_new_incident_changes_the_answer_and_its_etag(app, client, path):
    gen_component("API")
    db.session.commit()
    first = client.get(path)
    gen_incident("Brand new trouble", impact="critical")
    db.session.commit()
    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert again.headers["ETag"] != first.headers["ETag"]
    assert "Brand new trouble".encode() in again.data or path == "/api/v2/status.json"
    if path == "/api/v2/status.json":
        assert again.get_json()["status"]["indicator"] == "critical"


def test_the_page_is_rendered_once_per_change(app, client, monkeypatch):
    from statuspage.services import visibility

    calls = []
    original = visibility.active_incidents
    monkeypatch.setattr(visibility, "active_incidents", lambda v: calls.append(v) or original(v))
    for _ in range(5):
        assert client.get("/").status_code == 200
    assert len(calls) == 1
    gen_incident("Change")
    db.session.commit()
    client.get("/")
    assert len(calls) == 2


def test_locale_and_tenant_have_their_own_cached_copies(app, client):
    from statuspage.models import Tenant

    db.session.add(Tenant(name="Acme", slug="acme"))
    gen_incident("Withdrawals failing", name_translations={"zh_Hans": "出金失败"})
    db.session.commit()
    with app.app_context():
        english = client.get("/", headers={"Accept-Language": "en"})
    with app.app_context():
        chinese = client.get("/", headers={"Accept-Language": "zh-CN"})
    assert english.headers["ETag"] != chinese.headers["ETag"]
    assert "出金失败" in chinese.get_data(as_text=True) and "出金失败" not in english.get_data(as_text=True)
    assert client.get("/t/acme/").headers["ETag"] != english.headers["ETag"]
