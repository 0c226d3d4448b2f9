"""The red-team pass's low findings, each replayed: odd time zones, unbounded caches, language links
built from the raw path or query, absurd page numbers, viewers reading access links, tenant pages down
with the database, large anonymous bodies, world-readable SQLite files, open /metrics, and a
configuration import that skipped the API's rules."""
from __future__ import annotations

import json
import os
import re
import stat

import pytest
from sqlalchemy import select

from statuspage import cache, create_app
from statuspage.extensions import db as _db
from statuspage.models import Component, Subscriber
from statuspage.services.audit import Actor
from statuspage.services.export_import import import_config
from statuspage.services.tenants import access_token, forget_known_tenants
from statuspage.services.validation import ValidationError
from tests.conftest import is_postgres
from tests.factories import gen_component, gen_tenant
from tests.faults.outage import DatabaseOutage


@pytest.mark.parametrize("zone", ["Factory", "localtime", "posix/UTC", "../../etc/passwd", "x" * 300])
@pytest.mark.parametrize("path", ["/", "/history", "/api/v2/summary.json", "/feed.atom"])
def test_a_time_zone_pytz_refuses_falls_back_to_the_sites(client, db, zone, path):
    client.set_cookie("tz", zone)
    assert client.get(path).status_code == 200


def test_made_up_time_zones_do_not_grow_the_page_cache(client, db):
    client.get("/")
    before = len(cache._latest)
    for i in range(50):
        client.set_cookie("tz", f"Bogus/Zone{i}")
        client.get("/")
    assert len(cache._latest) == before


def test_the_last_good_copies_are_bounded(client, db, monkeypatch):
    monkeypatch.setattr(cache, "MAX_ENTRIES", 5)
    for zone in ("UTC", "Asia/Shanghai", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "Europe/Paris",
                 "Australia/Sydney", "Africa/Cairo"):
        client.set_cookie("tz", zone)
        assert client.get("/").status_code == 200
    assert len(cache._latest) <= 5 and len(cache._bodies) <= 5


def _hrefs(html: str) -> list[str]:
    return re.findall(r'href="([^"]*)"', html)


def test_a_404_page_never_links_off_site(client, db):
    resp = client.get("/%5Cevil.example")
    assert resp.status_code == 404
    links = [h for h in _hrefs(resp.get_data(as_text=True)) if "lang=" in h]
    assert links and all(h.startswith("/") and not h.startswith(("//", "/\\")) for h in links)
    assert not [h for h in links if "evil" in h]


def test_a_visitors_query_string_is_not_baked_into_cached_language_links(client, db):
    client.get('/?utm_source="><script>&lang=en')
    html = client.get("/").get_data(as_text=True)
    assert "utm_source" not in html
    page_two = client.get("/history?page=1&junk=1").get_data(as_text=True)
    assert "junk" not in page_two


@pytest.mark.parametrize("page", ["99999999999999999999", "abc", "0", "-1", "1.5"])
def test_nonsense_page_numbers_are_a_400(client, bearer, page):
    resp = client.get(f"/api/admin/v1/subscribers?page={page}", headers=bearer("admin"))
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "bad_request"


def test_viewer_tokens_do_not_get_access_links(client, db, bearer):
    gen_tenant("Globex", slug="globex", private=True)
    db.session.commit()
    [as_viewer] = client.get("/api/admin/v1/tenants", headers=bearer("viewer")).get_json()
    [as_admin] = client.get("/api/admin/v1/tenants", headers=bearer("admin")).get_json()
    assert "access_url" not in as_viewer and as_admin["access_url"].startswith("http://status.test/t/globex/")


def test_tenant_pages_are_served_stale_while_the_database_is_down(app, db, tmp_path):
    gen_tenant("Acme", slug="acme")
    globex = gen_tenant("Globex", slug="globex", private=True)
    gen_component("Acme ledger", tenant=db.session.scalars(select(type(globex)).filter_by(slug="acme")).one())
    db.session.commit()
    token = access_token(globex)
    cache.clear()
    forget_known_tenants()
    outage = DatabaseOutage(app, tmp_path)
    client = outage.app.test_client()
    try:
        fresh = client.get("/t/acme/")
        assert fresh.status_code == 200 and "Acme ledger" in fresh.get_data(as_text=True)
        client.set_cookie("sp_access_%d" % globex.id, token, path="/t/globex/")
        assert client.get("/t/globex/").status_code == 200
        outage.cut()
        stale = client.get("/t/acme/")
        assert stale.status_code == 200 and "Stale" in stale.headers.get("Warning", "")
        assert "Acme ledger" in stale.get_data(as_text=True)
        assert client.get("/t/globex/").status_code == 200
        stranger = outage.app.test_client()
        assert stranger.get("/t/globex/").status_code == 404
        assert client.get("/t/never-seen/").status_code == 503
    finally:
        outage.close()


def test_anonymous_bodies_over_64_kb_are_refused(client, db):
    big = {"email": "x@example.com", "padding": "x" * (65 * 1024)}
    assert client.post("/subscribe", json=big).status_code == 413
    assert client.post("/subscribe", json={"email": "x@example.com"}).status_code == 202


def test_authenticated_api_bodies_keep_the_larger_limit(client, db, bearer):
    body = {"name": "API", "description": "x" * (70 * 1024)}
    assert client.post("/api/admin/v1/components", json=body, headers=bearer("admin")).status_code != 413


@pytest.mark.skipif(is_postgres(), reason="SQLite files")
def test_sqlite_files_are_readable_by_their_owner_only(tmp_path, monkeypatch):
    monkeypatch.setenv("STATUSPAGE_INSTANCE", str(tmp_path / "instance"))
    path = tmp_path / "fresh.db"
    fresh = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "k"})
    with fresh.app_context():
        _db.session.execute(_db.text("CREATE TABLE t (x)"))
        _db.session.execute(_db.text("INSERT INTO t VALUES (1)"))
        _db.session.commit()
        files = [p for p in (path, tmp_path / "fresh.db-wal", tmp_path / "fresh.db-shm") if p.exists()]
        assert len(files) >= 2
        for p in files:
            assert stat.S_IMODE(os.stat(p).st_mode) == 0o600, p
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def metrics_token(app):
    app.config["METRICS_TOKEN"] = "m3trics"


def test_metrics_need_the_token_when_one_is_set(client, metrics_token):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer m3trics"}).status_code == 200


def test_metrics_stay_open_without_a_token(client):
    assert client.get("/metrics").status_code == 200


def _export(**overrides) -> dict:
    data = {"format": "statuspage-export", "version": 1,
            "components": [{"id": 1, "name": "API", "status": "operational"}],
            "subscribers": [{"id": 1, "channel": "email", "address": "ann@example.com", "token": "t1",
                             "locale": "en", "confirmed": True}]}
    data.update(overrides)
    return data


@pytest.mark.parametrize("change", [
    {"components": [{"id": 1, "name": "API", "status": "exploded"}]},
    {"subscribers": [{"id": 1, "channel": "pigeon", "address": "coop 7", "token": "t1"}]},
    {"subscribers": [{"id": 1, "channel": "webhook", "address": "http://169.254.169.254/latest/", "token": "t1"}]},
    {"subscribers": [{"id": 1, "channel": "sms", "address": "+19002530000", "token": "t1", "confirmed": True}]},
    {"incidents": [{"id": 1, "name": "x", "status": "investigating", "impact": "apocalyptic"}]},
])
def test_config_import_keeps_the_apis_rules_and_loads_nothing_when_broken(app, db, change):
    with pytest.raises(ValidationError) as caught:
        import_config(_export(**change), actor=Actor.system())
    assert "file" in caught.value.errors
    assert db.session.scalars(select(Component)).all() == [] and db.session.scalars(select(Subscriber)).all() == []


def test_a_clean_config_import_still_loads(app, db):
    import_config(json.loads(json.dumps(_export())), actor=Actor.system())
    assert db.session.scalars(select(Subscriber.address)).all() == ["ann@example.com"]
