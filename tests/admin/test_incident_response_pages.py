"""The incident response in the admin UI: responders and policy page, severity, team, notes and checks."""
from __future__ import annotations

from statuspage.models import Delivery, Incident, IncidentNote, Responder
from tests.factories import gen_incident


def _ana(db, level=1, **kw):
    person = Responder(name="Ana Lead", email="ana@example.com", level=level, **kw)
    db.session.add(person)
    db.session.commit()
    return person


def test_admin_adds_a_responder_and_sets_the_policy(client, db, login):
    login("admin")
    resp = client.post("/admin/responders", data={"name": "Ana Lead", "email": "ana@example.com", "level": "1"})
    assert resp.status_code == 302
    assert client.post("/admin/responders", data={"name": "Nobody", "level": "1"}).status_code == 422
    resp = client.post("/admin/severity-policy", data={"sev1_page_levels": "1 2", "sev1_check_minutes": "10",
                                                       "sev1_escalate_after_missed": "3",
                                                       "sev2_check_minutes": "30", "sev2_page_levels": "1"})
    assert resp.status_code == 302
    html = client.get("/admin/responders").get_data(as_text=True)
    assert "Ana Lead" in html and 'value="1 2"' in html and 'value="10"' in html


def test_the_incident_page_shows_severity_team_notes_and_a_one_click_check(client, db, login):
    person = _ana(db)
    incident = gen_incident(impact="critical")
    incident.severity = "sev1"
    db.session.commit()
    login("responder")
    base = f"/admin/incidents/{incident.id}"
    assert client.post(f"{base}/team", data={"lead": str(person.id)}).status_code == 302
    assert client.post(f"{base}/notes", data={"body": "DB failover started"}).status_code == 302
    assert client.post(f"{base}/notes", data={"kind": "check"}).status_code == 302
    html = client.get(base).get_data(as_text=True)
    assert "SEV1" in html and "Lead: Ana Lead" in html and "DB failover started" in html
    assert "Checked, no change" in html
    kinds = [n.kind for n in db.session.query(IncidentNote).filter_by(incident_id=incident.id)]
    assert kinds == ["note", "check"]
    assert db.session.get(Incident, incident.id).last_check_at is not None


def test_raising_the_severity_in_the_edit_form_records_the_reason_and_pages(client, db, login):
    _ana(db)
    incident = gen_incident(impact="minor")
    incident.severity = "sev3"
    db.session.commit()
    login("responder")
    resp = client.post(f"/admin/incidents/{incident.id}/edit", data={
        "name": incident.name, "impact": "minor", "visibility": "public", "severity": "sev1",
        "severity_reason": "all regions now"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Incident, incident.id).severity == "sev1"
    assert [d.recipient for d in db.session.query(Delivery).filter_by(kind="page")] == ["ana@example.com"]
    assert "all regions now" in client.get(f"/admin/incidents/{incident.id}").get_data(as_text=True)


def test_severity_shows_in_the_admin_list_and_never_on_the_public_page(client, db, login):
    incident = gen_incident(impact="critical", name="Payments down")
    incident.severity = "sev1"
    db.session.commit()
    login("viewer")
    assert "SEV1" in client.get("/admin/incidents").get_data(as_text=True)
    assert "SEV1" in client.get("/admin/").get_data(as_text=True)
    for path in ("/", f"/incidents/{incident.id}", "/history"):
        page = client.get(path).get_data(as_text=True)
        assert "Payments down" in page and "sev1" not in page.lower(), path


def test_a_deleted_responder_waits_in_the_trash_and_comes_back(client, db, login):
    person = _ana(db)
    login("admin")
    assert client.post(f"/admin/responders/{person.id}/delete").status_code == 302
    assert "Ana Lead" not in client.get("/admin/responders").get_data(as_text=True)
    assert "Ana Lead" in client.get("/admin/trash").get_data(as_text=True)
    assert client.post(f"/admin/trash/responder/{person.id}", data={"action": "restore"}).status_code == 302
    assert "Ana Lead" in client.get("/admin/responders").get_data(as_text=True)


def _new_incident_form(**kw):
    data = {"name": "Withdrawals failing", "status": "investigating", "impact": "minor",
            "body": "Withdrawals fail. Call 400-1.", "visibility": "public", "deliver_notifications": "on",
            "audience": "everyone", "action": "post"}
    data.update(kw)
    return data


def test_the_new_incident_form_takes_a_severity_or_defaults_from_the_impact(client, db, login):
    _ana(db)
    login("responder")
    assert 'name="severity"' in client.get("/admin/incidents/new").get_data(as_text=True)
    assert client.post("/admin/incidents/new", data=_new_incident_form(severity="sev2")).status_code == 302
    assert client.post("/admin/incidents/new", data=_new_incident_form(name="Slow pages")).status_code == 302
    by_name = {i.name: i.severity for i in db.session.query(Incident)}
    assert by_name == {"Withdrawals failing": "sev2", "Slow pages": "sev3"}
    # The sev2 was declared: level 1 is paged; the sev3 pages nobody.
    assert [d.recipient for d in db.session.query(Delivery).filter_by(kind="page")] == ["ana@example.com"]
