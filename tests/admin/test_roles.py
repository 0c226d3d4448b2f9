"""Every admin write needs more than the viewer role; users and settings need admin."""
from __future__ import annotations

from statuspage.models import AdminUser, Playbook
from tests.factories import gen_api_token, gen_component, gen_group, gen_incident, gen_tenant

# Writes any signed-in user may make about their own account.
OWN_ACCOUNT = {"admin.login", "admin.login_second_factor", "admin.logout", "admin.logout_everywhere",
               "admin.account", "admin.two_factor", "admin.token_create", "admin.token_revoke"}
MINE = ("statuspage.admin.auth", "statuspage.admin.catalog", "statuspage.admin.dashboard",
        "statuspage.admin.incidents", "statuspage.admin.maintenance", "statuspage.admin.people",
        "statuspage.admin.playbooks", "statuspage.admin.records")


def test_a_viewer_can_change_nothing(app, client, db, login):
    comp = gen_component("API")
    incident = gen_incident(components=[comp])
    trashed = gen_incident("Old")
    trashed.soft_delete()
    tenant = gen_tenant("Acme")
    gen_group("Core")
    template = Playbook(name="Playbook", texts={"en": {"title": "T", "body": "B"}})
    db.session.add(template)
    db.session.commit()
    viewer = login("viewer")
    token, _raw = gen_api_token(viewer)
    db.session.commit()
    args = {"incident_id": incident.id, "component_id": comp.id, "tenant_id": tenant.id, "template_id": template.id,
            "user_id": viewer.id, "token_id": token.id, "kind": "incident", "object_id": trashed.id}
    checked = 0
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if "POST" not in rule.methods or rule.endpoint in OWN_ACCOUNT or view.__module__ not in MINE:
            continue
        url = rule.build({k: args[k] for k in rule.arguments})[1]
        resp = client.post(url, data={"action": "restore", "name": "x", "status": "operational"})
        assert resp.status_code == 403, (rule.endpoint, resp.status_code)
        checked += 1
    assert checked >= 20


def test_admin_manages_users_but_keeps_one_admin(client, db, login):
    me = login("admin")
    resp = client.post("/admin/users", data={"email": "new@example.com", "role": "responder", "name": "New",
                                             "password": "long enough pw", "confirm": "long enough pw"})
    assert resp.status_code == 302
    new = db.session.query(AdminUser).filter_by(email="new@example.com").one()
    assert new.role == "responder"
    client.post(f"/admin/users/{me.id}", data={"role": "viewer", "name": me.name})
    assert db.session.get(AdminUser, me.id).role == "admin"  # the last admin stays an admin
    client.post(f"/admin/users/{new.id}", data={"action": "delete"})
    assert db.session.get(AdminUser, new.id).deleted_at is not None
    client.post(f"/admin/users/{new.id}", data={"action": "restore"})
    assert db.session.get(AdminUser, new.id).deleted_at is None
    assert client.post("/admin/users", data={"email": "short@example.com", "role": "viewer",
                                              "password": "short", "confirm": "short"}).status_code == 422
