"""The admin API resources: what they answer and what they refuse."""
from __future__ import annotations

import pytest

from statuspage.models import Component, Delivery, Incident
from tests.factories import gen_component, gen_incident, gen_subscriber, gen_tenant


@pytest.fixture
def admin(bearer):
    return bearer("admin")


def test_components_crud_with_soft_delete_and_restore(client, db, admin):
    resp = client.post("/api/admin/v1/components", json={"name": "Withdrawals API", "group": "Core"}, headers=admin)
    assert resp.status_code == 201
    comp = resp.get_json()
    assert comp["group"] == "Core" and comp["status"] == "operational"
    cid = comp["id"]
    assert client.patch(f"/api/admin/v1/components/{cid}", json={"status": "partial_outage"},
                        headers=admin).get_json()["status"] == "partial_outage"
    assert client.delete(f"/api/admin/v1/components/{cid}", headers=admin).status_code == 200
    assert [c["id"] for c in client.get("/api/admin/v1/components", headers=admin).get_json()] == []
    assert client.get(f"/api/admin/v1/components/{cid}", headers=admin).status_code == 404
    assert client.post(f"/api/admin/v1/components/{cid}/restore", headers=admin).status_code == 200
    assert [c["id"] for c in client.get("/api/admin/v1/components", headers=admin).get_json()] == [cid]


def test_private_tenants_carry_their_access_link(client, db, admin):
    client.post("/api/admin/v1/tenants", json={"name": "Acme", "slug": "acme"}, headers=admin)
    resp = client.post("/api/admin/v1/tenants", json={"name": "Globex", "slug": "globex", "private": True},
                       headers=admin)
    assert resp.status_code == 201
    tenants = {t["slug"]: t for t in client.get("/api/admin/v1/tenants", headers=admin).get_json()}
    assert "access_url" not in tenants["acme"]
    link = tenants["globex"]["access_url"]
    assert link.startswith("http://status.test/t/globex/")
    page = client.get(link.replace("http://status.test", ""), follow_redirects=True)
    assert page.status_code == 200 and "Globex" in page.get_data(as_text=True)
    rotated = client.post(f"/api/admin/v1/tenants/{tenants['globex']['id']}/rotate-access", headers=admin).get_json()
    assert rotated["access_url"] != link


def test_duplicate_slug_is_a_clear_422(client, db, admin):
    client.post("/api/admin/v1/tenants", json={"name": "Acme", "slug": "acme"}, headers=admin)
    resp = client.post("/api/admin/v1/tenants", json={"name": "Acme 2", "slug": "acme"}, headers=admin)
    assert resp.status_code == 422 and "slug" in resp.get_json()["error"]["details"]


def test_incident_lifecycle_over_the_api(client, db, admin):
    comp = gen_component("Withdrawals API")
    gen_tenant("Acme")
    db.session.commit()
    resp = client.post("/api/admin/v1/incidents", headers=admin, json={
        "name": "Withdrawals failing", "status": "investigating", "impact": "major", "body": "Call 400-1.",
        "components": {str(comp.id): "major_outage"}, "tenant_slugs": ["acme"], "visibility": "tenants",
        "name_translations": {"zh_Hans": "出金失败"}})
    assert resp.status_code == 201, resp.get_json()
    incident = resp.get_json()
    assert incident["tenant_slugs"] == ["acme"] and incident["components"] == {str(comp.id): "major_outage"}
    # Tenants only: Acme's page shows the outage; the public component state stays as it was.
    assert db.session.get(Component, comp.id).status == "operational"
    acme = client.get("/t/acme/api/v2/components.json").get_json()["components"]
    assert [c["status"] for c in acme if c["name"] == "Withdrawals API"] == ["major_outage"]
    iid = incident["id"]
    resp = client.post(f"/api/admin/v1/incidents/{iid}/updates", headers=admin,
                       json={"status": "resolved", "body": "Fixed."})
    assert resp.status_code == 201 and resp.get_json()["status"] == "resolved"
    assert db.session.get(Component, comp.id).status == "operational"
    assert {c["status"] for c in client.get("/t/acme/api/v2/components.json").get_json()["components"]} == {
        "operational"}
    one = client.get(f"/api/admin/v1/incidents/{iid}", headers=admin).get_json()
    assert [u["status"] for u in one["updates"]] == ["resolved", "investigating"]
    assert client.delete(f"/api/admin/v1/incidents/{iid}", headers=admin).get_json()["deleted_at"]
    assert client.get(f"/api/admin/v1/incidents/{iid}", headers=admin).status_code == 404
    assert client.post(f"/api/admin/v1/incidents/{iid}/restore", headers=admin).status_code == 200
    assert client.get(f"/api/admin/v1/incidents/{iid}", headers=admin).status_code == 200


def test_draft_sends_nothing_until_patched_to_published(client, db, admin):
    gen_subscriber("customer@example.com")
    db.session.commit()
    resp = client.post("/api/admin/v1/incidents", headers=admin, json={
        "name": "Withdrawals failing", "body": "Call 400-1.", "draft": True})
    iid = resp.get_json()["id"]
    assert db.session.query(Delivery).count() == 0
    assert client.get("/api/v2/incidents.json").get_data(as_text=True).count("Withdrawals failing") == 0
    resp = client.patch(f"/api/admin/v1/incidents/{iid}", headers=admin, json={"draft": False})
    assert resp.status_code == 200 and resp.get_json()["draft"] is False
    assert db.session.query(Delivery).filter_by(kind="update").count() == 1
    assert "Withdrawals failing" in client.get("/api/v2/incidents.json").get_data(as_text=True)
    again = client.patch(f"/api/admin/v1/incidents/{iid}", headers=admin, json={"draft": True})
    assert again.status_code == 422


def test_patch_with_status_posts_a_timeline_update(client, db, admin):
    incident = gen_incident()
    db.session.commit()
    resp = client.patch(f"/api/admin/v1/incidents/{incident.id}", headers=admin,
                        json={"status": "monitoring", "body": "A fix is out.", "impact": "minor"})
    data = resp.get_json()
    assert data["status"] == "monitoring" and data["impact"] == "minor"
    assert data["updates"][0]["body"] == "A fix is out."


def test_deliveries_filter_by_incident_and_status(client, db, admin):
    gen_subscriber("a@example.com")
    gen_subscriber("b@example.com")
    db.session.commit()
    first = client.post("/api/admin/v1/incidents", headers=admin, json={"name": "One", "body": "x"}).get_json()
    client.post("/api/admin/v1/incidents", headers=admin, json={"name": "Two", "body": "y"})
    rows = client.get(f"/api/admin/v1/deliveries?incident_id={first['id']}", headers=admin).get_json()
    assert len(rows) == 2 and {r["incident_id"] for r in rows} == {first["id"]}
    assert {"status", "attempts", "last_error", "channel"} <= set(rows[0])
    db.session.query(Delivery).filter_by(id=rows[0]["id"]).update({"status": "failed", "last_error": "550 no such user"})
    db.session.commit()
    failed = client.get("/api/admin/v1/deliveries?status=failed", headers=admin).get_json()
    assert [(r["id"], r["last_error"]) for r in failed] == [(rows[0]["id"], "550 no such user")]
    assert client.get("/api/admin/v1/deliveries?status=bogus", headers=admin).status_code == 422
    assert client.get("/api/admin/v1/deliveries?incident_id=abc", headers=admin).status_code == 400


BAD_BODIES = [
    ({"name": 5}, 422), ({"name": ""}, 422), ({"name": "x" * 5000}, 422), ({"name": "x", "impact": "huge"}, 422),
    ({"name": "x", "status": "exploded"}, 422), ({"name": "x", "visibility": "secret"}, 422),
    ({"name": "x", "draft": "yes"}, 422), ({"name": "x", "component_ids": [999999]}, 422),
    ({"name": "x", "component_ids": "1"}, 422), ({"name": "x", "components": {"abc": "operational"}}, 422),
    ({"name": "x", "components": {"1": "broken"}}, 422), ({"name": "x", "tenant_slugs": ["nope"]}, 422),
    ({"name": "x", "tenant_slugs": [1, 2]}, 422),
    ({"name": "x", "tenant_slugs": ["acme\x00"]}, 422), ({"name": "x", "visibility": "tenants"}, 422),
    ({"name": "x", "name_translations": {"fr": "x"}}, 422), ({"name": "x", "component_ids": [2**40]}, 422),
    ({"name": "x", "body": None, "components": []}, 422),
]


@pytest.mark.parametrize("body,status", BAD_BODIES)
def test_bad_incident_input_is_a_clear_4xx(client, db, admin, body, status):
    resp = client.post("/api/admin/v1/incidents", json=body, headers=admin)
    assert resp.status_code == status, resp.get_json()
    error = resp.get_json()["error"]
    assert error["code"] and error["message"]
    assert db.session.query(Incident).count() == 0


@pytest.mark.parametrize("path", ["/incidents/0", "/incidents/abc", "/incidents/99999999999999999999",
                                  "/components/-1", "/tenants/1.5", "/incidents/123/restore"])
def test_unknown_ids_are_404(client, db, admin, path):
    method = client.post if path.endswith("restore") else client.get
    resp = method("/api/admin/v1" + path, headers=admin)
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "not_found"


def test_non_json_bodies_are_refused(client, db, admin):
    assert client.post("/api/admin/v1/components", data="name=x", headers=admin).status_code == 415
    resp = client.post("/api/admin/v1/components", data="{not json", content_type="application/json", headers=admin)
    assert resp.status_code == 400
    assert client.post("/api/admin/v1/components", json=[1, 2], headers=admin).status_code == 400


@pytest.mark.parametrize("path", ["/subscribers/2147483648", "/upstreams/99999999999", "/components/2147483648"])
def test_ids_beyond_the_integer_range_are_404_on_every_resource(client, db, admin, path):
    resp = client.delete("/api/admin/v1" + path, headers=admin)
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "not_found"


def test_a_nul_character_in_a_name_is_a_clear_422_on_every_database(client, bearer):
    """PostgreSQL refuses NUL in text; the API must say so, not answer 500."""
    headers = bearer("admin")
    resp = client.post("/api/admin/v1/components", json={"name": "\x00"}, headers=headers)
    assert resp.status_code == 422, resp.get_data(as_text=True)
    assert "NUL" in resp.get_json()["error"]["message"]
    resp = client.post("/api/admin/v1/tenants", json={"name": "Acme\x00", "slug": "acme"}, headers=headers)
    assert resp.status_code == 422
