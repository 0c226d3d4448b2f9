"""Deleting a tenant or a component says what it touches, wants the typed name, and the trash says who did it."""
from __future__ import annotations

from statuspage.models import AuditEntry, Component, Tenant
from tests.factories import gen_component, gen_incident, gen_subscriber, gen_tenant


def test_tenant_delete_page_names_open_incidents_subscribers_and_page(client, db, login):
    acme = gen_tenant("Acme Bank", slug="acme")
    gen_incident("Withdrawals failing", tenants=[acme])
    gen_subscriber("a@example.com", tenant=acme)
    db.session.commit()
    login("admin")
    resp = client.post(f"/admin/tenants/{acme.id}", data={"action": "delete"})
    assert resp.status_code == 302 and db.session.get(Tenant, acme.id).deleted_at is None
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Withdrawals failing" in html and "/t/acme/" in html and "1 subscriber of this tenant" in html


def test_tenant_with_open_incidents_needs_the_name_and_an_audited_override(client, db, login):
    acme = gen_tenant("Acme Bank", slug="acme")
    gen_incident("Withdrawals failing", tenants=[acme])
    db.session.commit()
    login("admin")
    url = f"/admin/tenants/{acme.id}/delete"
    assert client.post(url, data={"confirm": "acme"}).status_code == 422
    assert client.post(url, data={"confirm": "Acme Bank"}).status_code == 422
    assert db.session.get(Tenant, acme.id).deleted_at is None
    assert client.post(url, data={"confirm": "Acme Bank", "override": "1"}).status_code == 302
    assert db.session.get(Tenant, acme.id).deleted_at is not None
    assert db.session.query(AuditEntry).filter_by(action="delete_override", object_id=str(acme.id)).count() == 1


def test_tenant_without_open_incidents_goes_with_the_typed_name_and_trash_says_who(client, db, login):
    acme = gen_tenant("Acme Bank", slug="acme")
    db.session.commit()
    login("admin", email="ops@example.com")
    assert client.post(f"/admin/tenants/{acme.id}/delete", data={"confirm": "Acme Bank"}).status_code == 302
    trash = client.get("/admin/trash").get_data(as_text=True)
    assert "Acme Bank" in trash and "by ops@example.com" in trash and "its page /t/acme/" in trash
    client.post(f"/admin/trash/tenant/{acme.id}", data={"action": "restore"})
    assert db.session.get(Tenant, acme.id).deleted_at is None


def test_component_delete_lists_open_incidents_and_subscriptions(client, db, login):
    crm = gen_component("CRM", status="partial_outage")
    gen_incident("CRM slow", components=[crm])
    gen_subscriber("crm@example.com", components=[crm]).all_components = False
    db.session.commit()
    login("admin")
    html = client.get(f"/admin/components/{crm.id}/delete").get_data(as_text=True)
    assert "CRM slow" in html and "1 subscriber chose this component" in html
    assert client.post(f"/admin/components/{crm.id}/delete", data={"confirm": "crm"}).status_code == 422
    assert client.post(f"/admin/components/{crm.id}/delete", data={"confirm": "CRM"}).status_code == 302
    assert db.session.get(Component, crm.id).deleted_at is not None
