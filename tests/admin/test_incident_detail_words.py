"""The incident page states the component status the public sees, and the timeline shows only real changes."""
from __future__ import annotations

from tests.factories import gen_component, gen_incident


def test_components_show_the_public_status_and_what_the_incident_says_when_they_differ(client, db, login):
    crm = gen_component("CRM", status="partial_outage")
    incident = gen_incident("CRM slow", components=[crm])  # the incident's own row says major outage
    db.session.commit()
    login("viewer")
    html = client.get(f"/admin/incidents/{incident.id}").get_data(as_text=True)
    assert "CRM: <span class=\"cs-partial_outage\">Partial outage</span>" in html
    assert "public status; this incident says Major outage" in html


def test_timeline_leaves_out_a_component_whose_status_did_not_change(client, db, login):
    crm = gen_component("CRM", status="partial_outage")
    api = gen_component("API", status="operational")
    incident = gen_incident("CRM slow", components=[crm])
    incident.updates[0].affected_components = [
        {"id": crm.id, "name": "CRM", "old_status": "partial_outage", "new_status": "partial_outage"},
        {"id": api.id, "name": "API", "old_status": "operational", "new_status": "degraded_performance"}]
    db.session.commit()
    login("viewer")
    html = client.get(f"/admin/incidents/{incident.id}").get_data(as_text=True)
    assert "Partial outage → Partial outage" not in html
    assert "API: Operational → Degraded performance" in html
