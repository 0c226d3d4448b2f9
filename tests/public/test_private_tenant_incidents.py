"""A tenants-only incident moves its components on the chosen tenants' pages only.

The anonymous page, API v2, feeds, badge, embed, their ETag and Last-Modified,
and /metrics' site version stay exactly as they were, so nobody outside can
watch a private tenant's incident happen.
"""
from __future__ import annotations

import re

import pytest

from statuspage import cache
from statuspage.models import Component
from statuspage.services.tenants import access_token
from tests.factories import gen_component, gen_tenant

PUBLIC_PATHS = ("/", "/history", "/api/v2/summary.json", "/api/v2/status.json", "/api/v2/components.json",
                "/api/v2/incidents.json", "/feed.rss", "/feed.atom", "/badge.svg", "/embed")


@pytest.fixture
def shared(db):
    comp = gen_component("Withdrawals API")
    gen_tenant("Globex", private=True)
    gen_tenant("Acme")
    db.session.commit()
    return comp


def _site_version(client) -> int:
    return int(re.search(r"^statuspage_site_version (\d+)", client.get("/metrics").get_data(as_text=True),
                         re.M).group(1))


def _public_snapshot(client) -> dict:
    cache.clear()  # render again from the data, not from the cached copy
    out = {}
    for path in PUBLIC_PATHS:
        resp = client.get(path)
        out[path] = (resp.status_code, resp.get_data(), resp.headers.get("ETag"), resp.headers.get("Last-Modified"))
    out["site_version"] = _site_version(client)
    return out


def _tenants_only(client, headers, comp, status="major_outage", **extra):
    resp = client.post("/api/admin/v1/incidents", headers=headers, json={
        "name": "Globex settlement batch stuck", "status": "investigating", "impact": "critical",
        "body": "Call your account manager.", "visibility": "tenants", "tenant_slugs": ["globex"],
        "components": {str(comp.id): status}, **extra})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["id"]


def _globex_summary(client, db) -> dict:
    from statuspage.models import Tenant

    token = access_token(db.session.query(Tenant).filter_by(slug="globex").one())
    return client.get(f"/t/globex/api/v2/summary.json?access={token}").get_json()


def test_tenants_only_incident_leaves_every_public_answer_byte_for_byte_as_it_was(client, db, bearer, shared):
    headers = bearer("responder")
    before = _public_snapshot(client)
    _tenants_only(client, headers, shared)
    after = _public_snapshot(client)
    for key in before:
        assert after[key] == before[key], f"{key} changed because of a private tenant's incident"
    assert db.session.get(Component, shared.id).status == "operational"


def test_the_chosen_tenants_page_shows_the_component_effect(client, db, bearer, shared):
    _tenants_only(client, bearer("responder"), shared)
    summary = _globex_summary(client, db)
    assert summary["status"]["indicator"] == "critical"
    assert [c["status"] for c in summary["components"] if c["name"] == "Withdrawals API"] == ["major_outage"]
    acme = client.get("/t/acme/api/v2/summary.json").get_json()
    assert [c["status"] for c in acme["components"] if c["name"] == "Withdrawals API"] == ["operational"]
    assert acme["status"]["indicator"] == "none"


def test_the_tenants_page_is_fresh_although_the_public_version_did_not_move(client, db, bearer, shared):
    assert _globex_summary(client, db)["status"]["indicator"] == "none"
    iid = _tenants_only(client, bearer("responder"), shared)
    assert _globex_summary(client, db)["status"]["indicator"] == "critical"
    client.post(f"/api/admin/v1/incidents/{iid}/updates", headers=bearer("admin"),
                json={"status": "resolved", "body": "Fixed."})
    summary = _globex_summary(client, db)
    assert summary["status"]["indicator"] == "none"
    assert {c["status"] for c in summary["components"]} == {"operational"}


def test_resolving_a_public_incident_does_not_inherit_a_tenants_only_status(client, db, bearer, shared):
    headers = bearer("responder")
    _tenants_only(client, headers, shared)
    public = client.post("/api/admin/v1/incidents", headers=headers, json={
        "name": "Slow withdrawals", "status": "investigating", "impact": "minor", "body": "Slow.",
        "components": {str(shared.id): "degraded_performance"}}).get_json()["id"]
    assert db.session.get(Component, shared.id).status == "degraded_performance"
    client.post(f"/api/admin/v1/incidents/{public}/updates", headers=headers, json={"status": "resolved", "body": "ok"})
    assert db.session.get(Component, shared.id).status == "operational"
    assert _globex_summary(client, db)["status"]["indicator"] == "critical"


def test_making_it_public_moves_the_public_component_and_back(client, db, bearer, shared):
    headers = bearer("responder")
    iid = _tenants_only(client, headers, shared)
    client.patch(f"/api/admin/v1/incidents/{iid}", headers=headers, json={"visibility": "public"})
    db.session.expire_all()
    assert db.session.get(Component, shared.id).status == "major_outage"
    client.patch(f"/api/admin/v1/incidents/{iid}", headers=headers, json={"visibility": "tenants"})
    db.session.expire_all()
    assert db.session.get(Component, shared.id).status == "operational"


def test_the_incidents_name_stays_off_the_anonymous_page(client, db, bearer, shared):
    _tenants_only(client, bearer("responder"), shared)
    for path in ("/", "/api/v2/summary.json", "/feed.rss", "/embed"):
        assert "Globex" not in client.get(path).get_data(as_text=True)


def test_the_tenants_page_says_when_its_own_data_changed(client, db, bearer, shared):
    before = _globex_summary(client, db)["page"]["updated_at"]
    public = client.get("/api/v2/summary.json").get_json()["page"]["updated_at"]
    cache._version_memo.clear()
    _tenants_only(client, bearer("responder"), shared)
    assert _globex_summary(client, db)["page"]["updated_at"] > before
    assert client.get("/api/v2/summary.json").get_json()["page"]["updated_at"] == public
