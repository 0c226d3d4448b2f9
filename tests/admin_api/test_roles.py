"""A token's role decides what it may do, and a token never exceeds its user."""
from __future__ import annotations

from statuspage.models import AdminUser, Incident, Tenant
from tests.factories import gen_component, gen_incident, gen_tenant

INCIDENT = {"name": "Withdrawals failing", "status": "investigating", "impact": "major", "body": "Looking."}


def test_no_token_or_a_bad_token_is_401(client, db):
    assert client.get("/api/admin/v1/incidents").status_code == 401
    resp = client.get("/api/admin/v1/incidents", headers={"Authorization": "Bearer sp_nope"})
    assert resp.status_code == 401 and resp.get_json()["error"]["code"] == "unauthorized"


def test_viewer_token_reads_but_cannot_post(client, db, bearer):
    headers = bearer("viewer")
    assert client.get("/api/admin/v1/incidents", headers=headers).status_code == 200
    resp = client.post("/api/admin/v1/incidents", json=INCIDENT, headers=headers)
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "forbidden"
    assert db.session.query(Incident).count() == 0


def test_responder_token_posts_incidents_but_cannot_manage_tenants_or_components(client, db, bearer):
    tenant = gen_tenant("Acme")
    comp = gen_component("API")
    db.session.commit()
    headers = bearer("responder")
    assert client.post("/api/admin/v1/incidents", json=INCIDENT, headers=headers).status_code == 201
    assert client.post("/api/admin/v1/tenants", json={"name": "X", "slug": "x"}, headers=headers).status_code == 403
    assert client.patch(f"/api/admin/v1/tenants/{tenant.id}", json={"private": True}, headers=headers).status_code == 403
    assert client.delete(f"/api/admin/v1/tenants/{tenant.id}", headers=headers).status_code == 403
    assert client.post("/api/admin/v1/components", json={"name": "New"}, headers=headers).status_code == 403
    assert client.patch(f"/api/admin/v1/components/{comp.id}", json={"name": "Renamed"}, headers=headers).status_code == 403
    # ...but may set a component's status during an incident.
    resp = client.patch(f"/api/admin/v1/components/{comp.id}", json={"status": "major_outage"}, headers=headers)
    assert resp.status_code == 200 and resp.get_json()["status"] == "major_outage"
    assert db.session.query(Tenant).count() == 1


def test_admin_token_of_a_demoted_user_acts_as_the_user(client, db, bearer):
    headers = bearer("admin")
    user = db.session.query(AdminUser).one()
    user.role = "viewer"
    db.session.commit()
    assert client.post("/api/admin/v1/tenants", json={"name": "X", "slug": "x"}, headers=headers).status_code == 403
    assert client.post("/api/admin/v1/incidents", json=INCIDENT, headers=headers).status_code == 403
    assert client.get("/api/admin/v1/tenants", headers=headers).status_code == 200


def test_responder_token_cannot_delete_or_restore_tenants_but_can_restore_incidents(client, db, bearer):
    incident = gen_incident()
    incident.soft_delete()
    db.session.commit()
    headers = bearer("responder")
    assert client.post(f"/api/admin/v1/incidents/{incident.id}/restore", headers=headers).status_code == 200
    assert db.session.get(Incident, incident.id).deleted_at is None


def test_deleted_user_tokens_stop_working(client, db, bearer):
    headers = bearer("admin")
    db.session.query(AdminUser).one().soft_delete()
    db.session.commit()
    assert client.get("/api/admin/v1/components", headers=headers).status_code == 401
