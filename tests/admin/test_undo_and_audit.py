"""Nothing is lost by one click: soft delete, restore, purge by typed name, bulk confirmation, audit log."""
from __future__ import annotations

import csv
import io
import json

from statuspage.models import AuditEntry, Component, Incident, Subscriber, Playbook, Tenant
from tests.factories import gen_component, gen_incident, gen_subscriber, gen_tenant


def test_deleted_incident_goes_to_trash_and_restores(app, client, db, login):
    comp = gen_component("Withdrawals API", status="major_outage")
    incident = gen_incident("Withdrawals failing", components=[comp])
    db.session.commit()
    login("responder")
    client.post(f"/admin/incidents/{incident.id}/delete")
    assert db.session.get(Incident, incident.id).deleted_at is not None
    assert db.session.get(Component, comp.id).status == "operational"
    assert "Withdrawals failing" not in app.test_client().get("/").get_data(as_text=True)
    trash = client.get("/admin/trash").get_data(as_text=True)
    assert "Withdrawals failing" in trash
    client.post(f"/admin/trash/incident/{incident.id}", data={"action": "restore"})
    assert db.session.get(Incident, incident.id).deleted_at is None
    assert db.session.get(Component, comp.id).status == "major_outage"
    assert "Withdrawals failing" in app.test_client().get("/").get_data(as_text=True)


def test_trash_lists_every_kind(client, db, login):
    objects = [gen_incident("Old incident"), gen_component("Old component"), gen_tenant("Old tenant"),
               gen_subscriber("old@example.com"), Playbook(name="Old playbook", texts={})]
    db.session.add(objects[-1])
    for obj in objects:
        obj.soft_delete()
    db.session.commit()
    login("admin")
    html = client.get("/admin/trash").get_data(as_text=True)
    for name in ("Old incident", "Old component", "old-tenant", "old@example.com", "Old playbook"):
        assert name in html


def test_purge_needs_admin_and_the_typed_name(client, db, login):
    tenant = gen_tenant("Old tenant")
    tenant.soft_delete()
    db.session.commit()
    login("responder")
    assert client.post(f"/admin/trash/tenant/{tenant.id}", data={"action": "purge", "confirm": "old-tenant"}).status_code == 403
    client.post("/admin/logout")
    login("admin")
    resp = client.post(f"/admin/trash/tenant/{tenant.id}", data={"action": "purge", "confirm": "old tenant"})
    assert resp.status_code == 422 and db.session.get(Tenant, tenant.id) is not None
    resp = client.post(f"/admin/trash/tenant/{tenant.id}", data={"action": "purge", "confirm": "old-tenant"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Tenant, tenant.id) is None
    entry = db.session.query(AuditEntry).filter_by(action="purge").one()
    assert entry.before["slug"] == "old-tenant" and entry.after is None


def test_live_objects_cannot_be_purged(client, db, login):
    sub = gen_subscriber("live@example.com")
    db.session.commit()
    login("admin")
    assert client.post(f"/admin/trash/subscriber/{sub.id}",
                       data={"action": "purge", "confirm": "live@example.com"}).status_code == 404
    assert db.session.get(Subscriber, sub.id) is not None


def test_bulk_edit_shows_the_count_and_wants_it_typed(client, db, login):
    comps = [gen_component(f"C{i}") for i in range(3)]
    untouched = gen_component("Untouched")
    db.session.commit()
    login("admin")
    data = {"component_ids": [str(c.id) for c in comps], "bulk_action": "delete", "status": "operational"}
    resp = client.post("/admin/components/bulk", data=data)
    assert resp.status_code == 200 and "This moves 3 components to the trash" in resp.get_data(as_text=True)
    assert all(db.session.get(Component, c.id).deleted_at is None for c in comps)
    assert client.post("/admin/components/bulk", data={**data, "confirm": "4"}).status_code == 422
    assert all(db.session.get(Component, c.id).deleted_at is None for c in comps)
    assert client.post("/admin/components/bulk", data={**data, "confirm": "3"}).status_code == 302
    assert all(db.session.get(Component, c.id).deleted_at is not None for c in comps)
    assert db.session.get(Component, untouched.id).deleted_at is None


def test_audit_entries_carry_before_and_after_and_export(client, db, login):
    comp = gen_component("API")
    db.session.commit()
    user = login("admin")
    client.post(f"/admin/components/{comp.id}", data={"name": "Public API", "status": "degraded_performance",
                                                     "group": "", "description": ""})
    entry = db.session.query(AuditEntry).filter_by(object_type="component").one()
    assert entry.actor == user.email and entry.via == "web"
    assert entry.before["name"] == "API" and entry.after["name"] == "Public API"
    assert entry.before["status"] == "operational" and entry.after["status"] == "degraded_performance"

    html = client.get("/admin/audit?object_type=component").get_data(as_text=True)
    assert "Public API" in html
    assert "Public API" not in client.get("/admin/audit?object_type=tenant").get_data(as_text=True)
    rows = json.loads(client.get("/admin/audit?format=json&object_type=component").get_data(as_text=True))
    assert [r["after"]["name"] for r in rows] == ["Public API"]
    resp = client.get("/admin/audit?format=csv&object_type=component")
    assert resp.headers["Content-Disposition"].endswith('audit.csv"')
    parsed = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    assert len(parsed) == 1 and json.loads(parsed[0]["before"])["name"] == "API"


def test_api_changes_are_audited_as_the_token_user(client, db):
    from tests.factories import gen_admin, gen_api_token

    user = gen_admin("bot-owner@example.com")
    _t, raw = gen_api_token(user)
    db.session.commit()
    resp = client.post("/api/admin/v1/tenants", json={"name": "Acme", "slug": "acme"},
                       headers={"Authorization": f"Bearer {raw}"})
    assert resp.status_code == 201
    entry = db.session.query(AuditEntry).filter_by(object_type="tenant").one()
    assert (entry.actor, entry.via, entry.action) == ("bot-owner@example.com", "api", "create")
    assert entry.before is None and entry.after["slug"] == "acme"


def test_an_incident_opened_and_updated_over_the_api_names_the_token_user(client, db):
    from tests.factories import gen_admin, gen_api_token

    user = gen_admin("bot-owner@example.com", role="responder")
    _t, raw = gen_api_token(user)
    db.session.commit()
    headers = {"Authorization": f"Bearer {raw}"}
    incident_id = client.post("/api/admin/v1/incidents", json={"name": "Withdrawals failing"},
                              headers=headers).get_json()["id"]
    client.post(f"/api/admin/v1/incidents/{incident_id}/updates", json={"status": "identified", "body": "Found it."},
                headers=headers)
    incident = db.session.get(Incident, incident_id)
    assert incident.owner_id == user.id
    assert {u.author_id for u in incident.updates} == {user.id}
    entries = db.session.query(AuditEntry).filter_by(object_type="incident").all()
    assert {(e.action, e.actor, e.actor_user_id, e.via) for e in entries} == {
        ("create", user.email, user.id, "api"), ("post_update", user.email, user.id, "api")}
