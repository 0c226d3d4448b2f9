"""Subscribers (the public form's consent rules), incident templates (our playbooks) and page access groups
(our tenants) over /v1, with Atlassian's Subscriber, IncidentTemplate and PageAccessGroup fields."""
from __future__ import annotations

from statuspage.models import Delivery, Playbook, Subscriber, Tenant
from statuspage.services.playbooks import live_templates
from tests.factories import gen_component, gen_subscriber, gen_tenant

SUBSCRIBER_FIELDS = {"id", "skip_confirmation_notification", "mode", "email", "endpoint", "phone_number",
                     "phone_country", "display_phone_number", "obfuscated_channel_name", "workspace_name",
                     "quarantined_at", "purge_at", "components", "page_access_user_id", "created_at"}
TEMPLATE_FIELDS = {"id", "components", "name", "title", "body", "group_id", "update_status", "should_tweet",
                   "should_send_notifications"}
GROUP_FIELDS = {"id", "page_id", "name", "page_access_user_ids", "external_identifier", "metric_ids",
                "component_ids", "created_at", "updated_at"}


def test_an_email_subscriber_gets_the_double_opt_in_of_the_public_form(client, db, oauth, pid):
    comp = gen_component("API")
    db.session.commit()
    resp = client.post(f"/v1/pages/{pid}/subscribers", headers=oauth("responder"),
                       json={"subscriber": {"email": "New.Customer@Example.com", "component_ids": [str(comp.id)]}})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    sub = resp.get_json()
    assert SUBSCRIBER_FIELDS <= set(sub)
    assert (sub["mode"], sub["email"], sub["components"], sub["state"]) == (
        "email", "new.customer@example.com", [str(comp.id)], "unconfirmed")
    confirm = db.session.query(Delivery).filter_by(kind="confirm").one()
    assert confirm.recipient == "new.customer@example.com"
    listed = client.get(f"/v1/pages/{pid}/subscribers.json?state=unconfirmed", headers=oauth("responder")).get_json()
    assert [s["id"] for s in listed] == [sub["id"]]
    assert client.get(f"/v1/pages/{pid}/subscribers.json", headers=oauth("responder")).get_json() == []


def test_an_sms_subscriber_follows_the_form_s_country_policy(client, db, oauth, pid):
    headers = oauth("responder")
    ok = client.post(f"/v1/pages/{pid}/subscribers", headers=headers,
                     json={"subscriber": {"phone_number": "4155550123", "phone_country": "US"}})
    assert ok.status_code == 201, ok.get_data(as_text=True)
    assert (ok.get_json()["mode"], ok.get_json()["phone_country"]) == ("sms", "US")
    assert db.session.query(Subscriber).one().address == "+14155550123"
    refused = client.post(f"/v1/pages/{pid}/subscribers", headers=headers,
                          json={"subscriber": {"phone_number": "912345678", "phone_country": "PT"}})
    assert refused.status_code == 422 and "phone" in refused.get_json()["error"]


def test_skipping_the_confirmation_is_for_admins_only(client, db, oauth, pid):
    sent = {"subscriber": {"email": "imported@example.com", "skip_confirmation_notification": True}}
    assert client.post(f"/v1/pages/{pid}/subscribers", headers=oauth("responder"), json=sent).status_code == 403
    resp = client.post(f"/v1/pages/{pid}/subscribers", headers=oauth("admin"), json=sent)
    assert resp.status_code == 201 and resp.get_json()["state"] == "active"
    assert db.session.query(Delivery).filter_by(kind="confirm").count() == 0


def test_deleting_a_subscriber_unsubscribes_it_softly(client, db, oauth, pid):
    sub = gen_subscriber("customer@example.com")
    db.session.commit()
    resp = client.delete(f"/v1/pages/{pid}/subscribers/{sub.id}.json", headers=oauth("admin"))
    assert resp.status_code == 200 and resp.get_json()["state"] == "unsubscribed"
    db.session.expire_all()
    assert db.session.get(Subscriber, sub.id).deleted_at is not None
    gone = client.get(f"/v1/pages/{pid}/subscribers/unsubscribed.json", headers=oauth("admin")).get_json()
    assert [s["id"] for s in gone] == [str(sub.id)]


def test_incident_templates_are_playbooks(client, db, oauth, pid):
    comp = gen_component("Withdrawals")
    db.session.commit()
    sent = {"template": {"name": "Withdrawals failing", "title": "Withdrawals are failing",
                         "body": "Call {hotline}.", "update_status": "identified", "component_ids": [str(comp.id)]}}
    resp = client.post(f"/v1/pages/{pid}/incident_templates", headers=oauth("admin"), json=sent)
    assert resp.status_code == 201, resp.get_data(as_text=True)
    template = resp.get_json()
    assert TEMPLATE_FIELDS <= set(template) and template["components"][0]["id"] == str(comp.id)
    [playbook] = live_templates()
    assert (playbook.name, playbook.status, playbook.texts["en"]["body"]) == (
        "Withdrawals failing", "identified", "Call {hotline}.")
    listed = client.get(f"/v1/pages/{pid}/incident_templates.json", headers=oauth("viewer")).get_json()
    assert [t["id"] for t in listed] == [str(playbook.id)]
    # the Terraform SDK's shape: {"incident_template": {...}} on PATCH
    renamed = client.patch(f"/v1/pages/{pid}/incident_templates/{playbook.id}", headers=oauth("admin"),
                           json={"incident_template": {"name": "Withdrawals down"}})
    assert renamed.status_code == 200 and renamed.get_json()["body"] == "Call {hotline}."
    assert client.delete(f"/v1/pages/{pid}/incident_templates/{playbook.id}", headers=oauth("admin")).status_code == 200
    assert db.session.get(Playbook, playbook.id).deleted_at is not None


def test_page_access_groups_are_tenants_with_their_own_components(client, db, oauth, pid):
    shared, own = gen_component("API"), gen_component("Portal")
    gen_tenant("Globex", slug="globex")
    db.session.commit()
    headers = oauth("admin")
    resp = client.post(f"/v1/pages/{pid}/page_access_groups", headers=headers, json={"page_access_group": {
        "name": "Acme Corp", "external_identifier": "acme", "component_ids": [str(own.id)]}})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    group = resp.get_json()
    assert GROUP_FIELDS <= set(group) and group["component_ids"] == [str(own.id)]
    tenant = db.session.get(Tenant, int(group["id"]))
    assert (tenant.slug, tenant.private) == ("acme", True)
    listed = client.get(f"/v1/pages/{pid}/page_access_groups.json", headers=headers).get_json()
    assert sorted(g["external_identifier"] for g in listed) == ["acme", "globex"]
    # leaving out the tenant's own component would make it public: refused
    refused = client.patch(f"/v1/pages/{pid}/page_access_groups/{group['id']}", headers=headers,
                           json={"page_access_group": {"component_ids": [str(shared.id)]}})
    assert refused.status_code == 422
    both = client.patch(f"/v1/pages/{pid}/page_access_groups/{group['id']}", headers=headers,
                        json={"page_access_group": {"component_ids": [str(own.id), str(shared.id)]}})
    assert sorted(both.get_json()["component_ids"]) == sorted([str(own.id), str(shared.id)])
    assert client.delete(f"/v1/pages/{pid}/page_access_groups/{group['id']}", headers=headers).status_code == 200
    assert db.session.get(Tenant, tenant.id).deleted_at is not None
