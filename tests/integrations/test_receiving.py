"""Alerts in: Alertmanager, Grafana and generic payloads at the integration's secret URL open or join one
draft per alert group, move the mapped component, email the admins and never reach customers."""
from __future__ import annotations

import json

from statuspage.models import Alert, Component, Delivery, Incident, IncidentNote, Responder
from tests.factories import gen_subscriber

from .payloads import alertmanager, am_alert, grafana


def _drafts(db):
    db.session.expire_all()
    return db.session.query(Incident).filter_by(draft=True).order_by(Incident.id).all()


def _status(db, component) -> str:
    db.session.expire_all()
    return db.session.get(Component, component.id).status


def _notes(db, incident) -> list[IncidentNote]:
    return db.session.query(IncidentNote).filter_by(incident_id=incident.id, kind="alert").order_by(IncidentNote.id).all()


def _admin_emails(db) -> list[Delivery]:
    return db.session.query(Delivery).filter_by(kind="admin").all()


def test_a_firing_alertmanager_alert_opens_a_draft_moves_the_component_and_emails_only_admins(
        client, db, components, make_integration):
    gen_subscriber("customer@example.com")
    db.session.commit()
    _answer, url = make_integration("alertmanager")
    resp = client.post(url, json=alertmanager())
    assert resp.status_code == 200, resp.get_json()
    result = resp.get_json()
    assert result["draft_opened"] is True and result["firing"] == 1
    assert _status(db, components["crm"]) == "major_outage"
    [draft] = _drafts(db)
    assert draft.name == "Prod alertmanager: WithdrawalErrors on crm" and draft.impact == "critical"
    assert [(a.component_id, a.status) for a in draft.affected] == [(components["crm"].id, "major_outage")]
    assert "WithdrawalErrors on crm (CRM)" in draft.updates[0].body
    emails = _admin_emails(db)
    assert [e.recipient for e in emails] == ["admin@example.com"]
    assert f"#{draft.id}" in json.loads(emails[0].payload)["text"]
    # Nothing for customers: no notice is written for a draft.
    assert db.session.query(Delivery).filter(Delivery.kind != "admin").count() == 0


def test_a_repeated_firing_alert_changes_nothing(client, db, components, make_integration):
    _answer, url = make_integration()
    client.post(url, json=alertmanager())
    again = client.post(url, json=alertmanager()).get_json()
    assert again["repeats"] == 1 and again["firing"] == 0 and again["draft_opened"] is False
    assert len(_drafts(db)) == 1 and len(_admin_emails(db)) == 1
    assert db.session.query(Alert).count() == 1


def test_grouped_alerts_share_one_draft_and_a_later_alert_of_the_group_joins_it(client, db, components,
                                                                              make_integration):
    _answer, url = make_integration()
    payload = alertmanager(am_alert(component="crm", severity="critical", fingerprint="f1"),
                           am_alert(component="billing", severity="warning", fingerprint="f2"))
    assert client.post(url, json=payload).get_json()["draft_opened"] is True
    later = alertmanager(am_alert(component="crm", fingerprint="f1"), am_alert(component="billing", fingerprint="f2"),
                         am_alert(component="ledger", instance="crm-2:9100", fingerprint="f3"))
    joined = client.post(url, json=later).get_json()
    assert joined["draft_opened"] is False and joined["firing"] == 1 and joined["repeats"] == 2
    [draft] = _drafts(db)
    assert joined["draft_id"] == draft.id
    assert {a.component_id for a in draft.affected} == {c.id for c in components.values()}
    assert _status(db, components["billing"]) == "degraded_performance"
    # "ledger" is not in the map, but a component has that name.
    assert _status(db, components["ledger"]) == "major_outage"
    assert len(_admin_emails(db)) == 1
    notes = [n.body for n in _notes(db, draft)]
    assert len(notes) == 2 and notes[1].startswith("1 more firing alert(s) from 'Prod alertmanager'")


def test_another_group_opens_its_own_draft(client, db, components, make_integration):
    _answer, url = make_integration()
    client.post(url, json=alertmanager(group="g1"))
    client.post(url, json=alertmanager(am_alert(name="LedgerLag", component="billing", fingerprint="zz"), group="g2"))
    assert len(_drafts(db)) == 2 and len(_admin_emails(db)) == 2


def test_a_resolved_alert_restores_the_component_and_is_noted_on_the_draft(client, db, components, make_integration):
    _answer, url = make_integration()
    client.post(url, json=alertmanager())
    result = client.post(url, json=alertmanager(am_alert(status="resolved"))).get_json()
    assert result["resolved"] == 1 and result["components"] == {str(components["crm"].id): "operational"}
    assert _status(db, components["crm"]) == "operational"
    [draft] = _drafts(db)
    note = _notes(db, draft)[-1]
    assert note.body.startswith("Alert resolved: WithdrawalErrors on crm") and "restored to operational" in note.body
    # A second resolved notification (Alertmanager repeats it) is ignored.
    assert client.post(url, json=alertmanager(am_alert(status="resolved"))).get_json()["ignored"] == 1


def test_a_component_stays_down_while_another_alert_on_it_fires(client, db, components, make_integration):
    _answer, url = make_integration()
    client.post(url, json=alertmanager(am_alert(fingerprint="a", instance="crm-1"),
                                       am_alert(fingerprint="b", instance="crm-2", severity="warning")))
    client.post(url, json=alertmanager(am_alert(fingerprint="a", instance="crm-1", status="resolved"),
                                       am_alert(fingerprint="b", instance="crm-2", severity="warning")))
    assert _status(db, components["crm"]) == "degraded_performance"


def test_an_integration_that_proposes_leaves_the_component_to_the_operator(client, db, components, make_integration):
    _answer, url = make_integration(resolve="propose")
    client.post(url, json=alertmanager())
    client.post(url, json=alertmanager(am_alert(status="resolved")))
    assert _status(db, components["crm"]) == "major_outage"
    assert "consider setting 'CRM' to operational" in _notes(db, _drafts(db)[0])[-1].body


def test_a_grafana_contact_point_fires_and_resolves(client, db, components, make_integration):
    _answer, url = make_integration("grafana", name="Grafana")
    result = client.post(url, json=grafana()).get_json()
    assert result["draft_opened"] is True
    assert _status(db, components["billing"]) == "degraded_performance"
    [draft] = _drafts(db)
    assert draft.name == "Grafana: p99 latency above 2 s" and draft.impact == "minor"
    client.post(url, json=grafana(status="resolved"))
    assert _status(db, components["billing"]) == "operational"


def test_the_severity_map_and_label_names_are_the_integrations_own(client, db, components, make_integration):
    _answer, url = make_integration(component_label="service", severity_label="priority",
                                    severity_map={"p1": "major_outage"}, component_map={"ledger-svc": components["ledger"].id})
    alert = am_alert()
    alert["labels"].update({"service": "ledger-svc", "priority": "P1"})
    client.post(url, json=alertmanager(alert))
    assert _status(db, components["ledger"]) == "major_outage"
    assert _status(db, components["crm"]) == "operational"


def test_the_generic_shape_names_component_and_status(client, db, components, make_integration):
    _answer, url = make_integration("webhook", name="Pingdom")
    resp = client.post(url, json={"component": "Ledger", "status": "partial_outage", "summary": "Ledger API down"})
    assert resp.status_code == 200 and resp.get_json()["draft_opened"] is True
    assert _status(db, components["ledger"]) == "partial_outage"
    assert _drafts(db)[0].name == "Pingdom: Ledger API down"
    client.post(url, json={"component": components["ledger"].id, "status": "partial_outage"})
    assert len(_drafts(db)) == 1  # by id, the same component: the same alert
    client.post(url, json={"component": "Ledger", "status": "operational"})
    assert _status(db, components["ledger"]) == "operational"


def test_a_wrong_or_deleted_secret_is_a_404(client, db, bearer, make_integration):
    answer, url = make_integration()
    assert client.post("/integrations/not-the-secret", json=alertmanager()).status_code == 404
    client.delete(f"/api/admin/v1/integrations/{answer['id']}", headers=bearer("admin"))
    resp = client.post(url, json=alertmanager())
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "not_found"
    assert _drafts(db) == []


def test_a_bad_payload_is_a_400_and_changes_nothing(client, db, components, make_integration, app):
    _answer, url = make_integration()
    bad_second = alertmanager(am_alert(fingerprint="ok"), am_alert(fingerprint="bad"))
    bad_second["alerts"][1]["status"] = "exploded"
    for body in (bad_second, {"alerts": "nope"}, {**alertmanager(), "version": "3"}, [1, 2]):
        resp = client.post(url, json=body)
        assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "bad_payload", body
    resp = client.post(url, data=b"{not json", content_type="application/json")
    assert resp.status_code == 400 and "JSON" in resp.get_json()["error"]["message"]
    app.config["INTEGRATION_MAX_BODY"] = 100
    assert client.post(url, json=alertmanager()).status_code == 413
    assert _drafts(db) == [] and db.session.query(Alert).count() == 0
    assert _status(db, components["crm"]) == "operational" and _admin_emails(db) == []


def test_the_url_needs_no_csrf_token_nor_session(app, db, make_integration):
    app.config["WTF_CSRF_ENABLED"] = True
    _answer, url = make_integration()
    assert app.test_client().post(url, json=alertmanager()).status_code == 200


def test_a_large_alert_group_is_read_up_to_the_integrations_own_limit(client, db, components, make_integration):
    _answer, url = make_integration()
    big = alertmanager(*[am_alert(fingerprint=f"fp{n}", instance=f"crm-{n}:9100", summary="x" * 300)
                         for n in range(300)])
    assert len(json.dumps(big)) > 64 * 1024
    resp = client.post(url, json=big)
    assert resp.status_code == 200 and resp.get_json()["firing"] == 300
    assert client.post("/integrations/wrong-secret", json=big).status_code == 404


def test_a_severe_draft_pages_the_responders_its_severity_names_instead_of_emailing_admins(client, db, components,
                                                                                        make_integration):
    db.session.add(Responder(name="On call", email="oncall@example.com", level=1))
    db.session.commit()
    _answer, url = make_integration()
    client.post(url, json=alertmanager(am_alert(severity="critical")))
    [draft] = _drafts(db)
    assert draft.severity == "sev1"
    pages = db.session.query(Delivery).filter_by(kind="page").all()
    assert [p.recipient for p in pages] == ["oncall@example.com"] and draft.name in json.loads(pages[0].payload)["text"]
    assert _admin_emails(db) == []
    assert db.session.query(IncidentNote).filter_by(incident_id=draft.id, kind="page").count() == 1
    # A minor one (sev3 pages nobody by the seed policy) still reaches the admins.
    client.post(url, json=alertmanager(am_alert(severity="warning", fingerprint="w1", component="billing"), group="g2"))
    assert [e.recipient for e in _admin_emails(db)] == ["admin@example.com"]
