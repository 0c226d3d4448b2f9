"""A drill is for the admins' own rehearsal: never on any public surface, never moves a real component."""
from __future__ import annotations

import pytest

from statuspage.models import Component, Incident

PUBLIC = ["/", "/history", "/feed.rss", "/feed.atom", "/api/v2/summary.json", "/api/v2/incidents.json",
          "/api/v2/incidents/unresolved.json", "/api/v2/components.json", "/t/acme/"]


@pytest.fixture
def drill(client, db, login):
    from tests.factories import gen_component, gen_tenant

    comp = gen_component("Withdrawals API")
    gen_tenant("Acme")
    db.session.commit()
    login("responder")
    resp = client.post("/admin/incidents/new", data={
        "name": "Rehearsal: withdrawals failing", "status": "investigating", "impact": "critical",
        "body": "Practice notice.", "visibility": "drill", "deliver_notifications": "on", "action": "post",
        f"component_{comp.id}": "major_outage", "tenant_slugs": "acme"})
    assert resp.status_code == 302
    return db.session.query(Incident).one(), comp


@pytest.mark.parametrize("path", PUBLIC)
def test_drill_never_appears_on_public_surfaces(app, drill, path):
    visitor = app.test_client()  # not signed in: admins do see their drills on the page
    resp = visitor.get(path)
    assert resp.status_code in (200, 404)
    body = resp.get_data(as_text=True)
    assert "Rehearsal" not in body and "Practice notice" not in body


def test_drill_incident_page_is_not_public(app, client, drill):
    incident, _comp = drill
    assert app.test_client().get(f"/incidents/{incident.id}").status_code == 404
    assert client.get(f"/incidents/{incident.id}").status_code == 200  # the signed-in admin sees it


def test_drill_never_moves_a_real_component(app, client, db, drill):
    incident, comp = drill
    assert db.session.get(Component, comp.id).status == "operational"
    assert "major_outage" not in app.test_client().get("/api/v2/components.json").get_data(as_text=True)
    client.post(f"/admin/incidents/{incident.id}/updates",
                data={"status": "identified", "body": "Still practising.", "action": "post",
                      f"component_{comp.id}": "major_outage"})
    assert db.session.get(Component, comp.id).status == "operational"


def test_drill_is_visible_to_admins(client, drill):
    incident, _comp = drill
    html = client.get("/admin/incidents").get_data(as_text=True)
    assert "Rehearsal: withdrawals failing" in html and "Drill" in html
