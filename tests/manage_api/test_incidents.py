"""Incidents and maintenances over /v1: bodies as Atlassian's curl examples (form-encoded `incident[name]=...`)
and JSON clients (`{"incident": {...}}`) send them; the answer's fields are the v1 schema's, the ids the v2
API's; the incident reaches the public page and its subscribers through the same services as the admin UI."""
from __future__ import annotations

from datetime import timedelta

from statuspage.models import AuditEntry, Component, Delivery, Incident, IncidentUpdate, utcnow
from tests.factories import gen_component, gen_subscriber, gen_tenant

# Atlassian's v1 Incident and IncidentUpdate schemas.
INCIDENT_FIELDS = {"id", "components", "created_at", "impact", "impact_override", "incident_updates", "metadata",
                   "monitoring_at", "name", "page_id", "postmortem_body", "postmortem_body_last_updated_at",
                   "postmortem_ignored", "postmortem_notified_subscribers", "postmortem_notified_twitter",
                   "postmortem_published_at", "resolved_at", "scheduled_auto_completed", "scheduled_auto_in_progress",
                   "scheduled_for", "auto_transition_deliver_notifications_at_end",
                   "auto_transition_deliver_notifications_at_start", "auto_transition_to_maintenance_state",
                   "auto_transition_to_operational_state", "scheduled_remind_prior", "scheduled_reminded_at",
                   "scheduled_until", "shortlink", "status", "updated_at"}
UPDATE_FIELDS = {"id", "incident_id", "affected_components", "body", "created_at", "custom_tweet",
                 "deliver_notifications", "display_at", "status", "tweet_id", "twitter_updated_at", "updated_at",
                 "wants_twitter_update"}


def _deliveries(db, incident_id) -> list[Delivery]:
    db.session.expire_all()
    return (db.session.query(Delivery).join(IncidentUpdate, Delivery.update_id == IncidentUpdate.id)
            .filter(IncidentUpdate.incident_id == incident_id).all())


def test_incident_posted_form_encoded_as_in_the_curl_examples_reaches_page_and_subscribers(client, db, oauth, pid):
    comp = gen_component("Withdrawals")
    sub = gen_subscriber("customer@example.com")
    db.session.commit()
    resp = client.post(f"/v1/pages/{pid}/incidents.json", headers=oauth("responder"), data={
        "incident[name]": "Withdrawals failing", "incident[status]": "investigating",
        "incident[impact_override]": "major", "incident[body]": "Call the hotline 400-100.",
        "incident[component_ids][]": str(comp.id), f"incident[components][{comp.id}]": "major_outage",
        "incident[deliver_notifications]": "true"})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    incident = resp.get_json()
    assert INCIDENT_FIELDS <= set(incident)
    assert (incident["name"], incident["status"], incident["impact"]) == ("Withdrawals failing", "investigating", "major")
    assert isinstance(incident["id"], str) and incident["page_id"] == pid
    assert [c["id"] for c in incident["components"]] == [str(comp.id)]
    assert incident["components"][0]["status"] == "major_outage"
    [update] = incident["incident_updates"]
    assert UPDATE_FIELDS <= set(update) and update["body"] == "Call the hotline 400-100."
    assert update["affected_components"][0]["new_status"] == "major_outage"
    # the public page and the v2 API show it under the same id
    assert "Withdrawals failing" in client.get("/").get_data(as_text=True)
    v2 = client.get("/api/v2/incidents/unresolved.json").get_json()["incidents"]
    assert [i["id"] for i in v2] == [incident["id"]]
    assert v2[0]["incident_updates"][0]["id"] == update["id"]
    # fan-out: an outbox row for the subscriber, written in the posting transaction
    rows = _deliveries(db, int(incident["id"]))
    assert [(r.subscriber_id, r.channel) for r in rows] == [(sub.id, "email")]
    assert db.session.get(Component, comp.id).status == "major_outage"
    entry = db.session.query(AuditEntry).filter_by(object_type="incident", action="create").one()
    assert entry.via == "api" and entry.actor == "v1-responder@example.com"


def test_incident_posted_as_json_with_metadata_and_without_notifications(client, db, oauth, pid):
    comp = gen_component("API")
    gen_subscriber("customer@example.com")
    db.session.commit()
    sent = {"incident": {"name": "Slow logins", "status": "identified", "body": "A cache node is down.",
                         "components": {str(comp.id): "degraded_performance"}, "deliver_notifications": False,
                         "metadata": {"jira": {"issue_id": "OPS-12"}}}}
    resp = client.post(f"/v1/pages/{pid}/incidents", json=sent, headers=oauth("responder"))
    assert resp.status_code == 201
    incident = resp.get_json()
    assert incident["metadata"] == {"jira": {"issue_id": "OPS-12"}}
    assert incident["incident_updates"][0]["deliver_notifications"] is False
    assert _deliveries(db, int(incident["id"])) == []
    again = client.get(f"/v1/pages/{pid}/incidents/{incident['id']}.json", headers=oauth("viewer")).get_json()
    assert again["metadata"] == {"jira": {"issue_id": "OPS-12"}}


def test_patch_with_a_new_status_posts_an_update_and_resolving_gives_components_back(client, db, oauth, pid):
    comp = gen_component("API")
    gen_subscriber("customer@example.com")
    db.session.commit()
    headers = oauth("responder")
    made = client.post(f"/v1/pages/{pid}/incidents", headers=headers, json={"incident": {
        "name": "API errors", "status": "investigating", "body": "Looking.",
        "components": {str(comp.id): "partial_outage"}}}).get_json()
    url = f"/v1/pages/{pid}/incidents/{made['id']}"
    fixed = client.patch(url, headers=headers, json={"incident": {"status": "monitoring", "body": "Fix deployed."}})
    assert fixed.status_code == 200
    assert [u["status"] for u in fixed.get_json()["incident_updates"]] == ["monitoring", "investigating"]
    assert fixed.get_json()["monitoring_at"] is not None
    done = client.patch(url, headers=headers, json={"incident": {"status": "resolved", "body": "All good."}}).get_json()
    assert done["status"] == "resolved" and done["resolved_at"] is not None
    assert db.session.get(Component, comp.id).status == "operational"
    assert len(_deliveries(db, int(made["id"]))) == 3
    assert client.get("/api/v2/incidents/unresolved.json").get_json()["incidents"] == []


def test_patch_without_status_or_body_posts_no_update(client, db, oauth, pid):
    headers = oauth("responder")
    made = client.post(f"/v1/pages/{pid}/incidents", headers=headers,
                       json={"incident": {"name": "API errors", "body": "Looking."}}).get_json()
    renamed = client.patch(f"/v1/pages/{pid}/incidents/{made['id']}.json", headers=headers,
                           json={"incident": {"name": "API errors in eu-west"}}).get_json()
    assert renamed["name"] == "API errors in eu-west" and len(renamed["incident_updates"]) == 1


def test_scheduled_maintenance_is_listed_as_scheduled_and_upcoming_then_active(client, db, oauth, pid):
    comp = gen_component("Database")
    db.session.commit()
    start = (utcnow() + timedelta(days=1)).replace(microsecond=0)
    sent = {"incident": {"name": "Database upgrade", "status": "scheduled", "body": "Read-only for 30 minutes.",
                         "scheduled_for": start.isoformat().replace("+00:00", "Z"),
                         "scheduled_until": (start + timedelta(hours=1)).isoformat(),
                         "scheduled_auto_in_progress": True, "scheduled_auto_completed": True,
                         "component_ids": [str(comp.id)]}}
    headers = oauth("responder")
    resp = client.post(f"/v1/pages/{pid}/incidents", json=sent, headers=headers)
    assert resp.status_code == 201, resp.get_data(as_text=True)
    maintenance = resp.get_json()
    assert maintenance["status"] == "scheduled" and maintenance["scheduled_for"].startswith(start.date().isoformat())
    assert maintenance["scheduled_auto_in_progress"] is True
    assert db.session.get(Component, comp.id).status == "operational"

    def listed(name):
        return [i["id"] for i in client.get(f"/v1/pages/{pid}/incidents/{name}.json", headers=headers).get_json()]

    assert listed("scheduled") == listed("upcoming") == [maintenance["id"]]
    assert listed("active_maintenance") == [] and listed("unresolved") == []
    client.patch(f"/v1/pages/{pid}/incidents/{maintenance['id']}", headers=headers,
                 json={"incident": {"status": "in_progress"}})
    assert listed("active_maintenance") == [maintenance["id"]] and listed("upcoming") == []
    assert db.session.get(Component, comp.id).status == "under_maintenance"
    v2 = client.get("/api/v2/scheduled-maintenances/active.json").get_json()["scheduled_maintenances"]
    assert [m["id"] for m in v2] == [maintenance["id"]]


def test_delete_is_soft_and_the_admin_api_restores_it(client, db, oauth, bearer, pid):
    headers = oauth("responder")
    made = client.post(f"/v1/pages/{pid}/incidents", headers=headers,
                       json={"incident": {"name": "API errors", "body": "Looking."}}).get_json()
    url = f"/v1/pages/{pid}/incidents/{made['id']}"
    gone = client.delete(url, headers=headers)
    assert gone.status_code == 200 and gone.get_json()["id"] == made["id"]
    assert client.get(url, headers=headers).status_code == 404
    assert db.session.get(Incident, int(made["id"])).deleted_at is not None
    assert client.post(f"/api/admin/v1/incidents/{made['id']}/restore", headers=bearer("responder")).status_code == 200
    assert client.get(url, headers=headers).status_code == 200


def test_refused_input_is_422_with_statuspage_s_error_body_and_changes_nothing(client, db, oauth, pid):
    headers = oauth("responder")
    for incident in ({"name": "", "body": "x"}, {"name": "A", "status": "exploded"},
                     {"name": "A", "impact_override": "apocalyptic"}, {"name": "A", "components": {"999": "major_outage"}},
                     {"name": "A", "metadata": {"jira": "OPS-1"}}, {"name": "A", "backfilled": True}):
        resp = client.post(f"/v1/pages/{pid}/incidents", headers=headers, json={"incident": incident})
        assert resp.status_code == 422, (incident, resp.get_data(as_text=True))
        assert isinstance(resp.get_json()["error"], str) and resp.get_json()["message"]
    assert db.session.query(Incident).count() == 0


def test_idempotency_key_answers_a_repeated_post_once(client, db, oauth, pid):
    headers = {**oauth("responder"), "Idempotency-Key": "pagerduty-incident-42"}
    sent = {"incident": {"name": "API errors", "body": "Looking."}}
    first = client.post(f"/v1/pages/{pid}/incidents", headers=headers, json=sent)
    again = client.post(f"/v1/pages/{pid}/incidents", headers=headers, json=sent)
    assert first.status_code == again.status_code == 201
    assert again.get_json()["id"] == first.get_json()["id"] and again.headers["Idempotent-Replayed"] == "true"
    assert db.session.query(Incident).count() == 1


def test_an_incident_on_a_page_access_group_s_component_is_that_tenant_s_only(client, db, oauth, pid):
    acme = gen_tenant("Acme", slug="acme")
    own = gen_component("Acme portal", tenant=acme)
    gen_subscriber("ops@acme.example", tenant=acme)
    gen_subscriber("someone@example.com")
    db.session.commit()
    made = client.post(f"/v1/pages/{pid}/incidents", headers=oauth("responder"), json={"incident": {
        "name": "Acme portal down", "body": "Looking.", "components": {str(own.id): "major_outage"}}}).get_json()
    incident = db.session.get(Incident, int(made["id"]))
    assert incident.visibility == "tenants" and [t.slug for t in incident.tenants] == ["acme"]
    assert [r.recipient or r.subscriber.address for r in _deliveries(db, incident.id)] == ["ops@acme.example"]
    assert "Acme portal down" not in client.get("/").get_data(as_text=True)


def test_postmortem_is_drafted_published_on_the_incident_page_and_reverted(client, db, oauth, pid):
    headers = oauth("responder")
    made = client.post(f"/v1/pages/{pid}/incidents", headers=headers,
                       json={"incident": {"name": "API errors", "status": "resolved", "body": "Fixed."}}).get_json()
    url = f"/v1/pages/{pid}/incidents/{made['id']}/postmortem"
    assert client.get(url, headers=headers).status_code == 404
    draft = client.put(url, headers=headers, json={"postmortem": {"body_draft": "A certificate expired."}})
    assert draft.status_code == 200 and draft.get_json()["published_at"] is None
    assert "A certificate expired." not in client.get(f"/incidents/{made['id']}").get_data(as_text=True)
    published = client.put(f"{url}/publish.json", headers=headers,
                           json={"postmortem": {"notify_subscribers": False, "notify_twitter": False}})
    assert published.get_json()["body"] == "A certificate expired." and published.get_json()["published_at"]
    assert "A certificate expired." in client.get(f"/incidents/{made['id']}").get_data(as_text=True)
    assert client.put(f"{url}/revert", headers=headers).get_json()["published_at"] is None
    assert client.delete(url, headers=headers).status_code == 204
