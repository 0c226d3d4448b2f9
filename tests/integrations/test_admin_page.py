"""Admin → Integrations: add one with the form (its URL shown once), see its recent alerts, delete it."""
from __future__ import annotations

import html

import pytest

from statuspage.models import Incident, Integration

from .payloads import alertmanager, am_alert


@pytest.fixture(autouse=True)
def _fresh_identity(fresh_identity_per_request):
    pass


def test_an_admin_adds_an_integration_sees_its_url_once_and_deletes_it(client, db, components, login):
    login()
    resp = client.post("/admin/integrations", data={
        "name": "Prod AM", "kind": "alertmanager", "component_label": "service", "severity_label": "severity",
        "component_map": f"crm-api = {components['crm'].id}\n", "resolve": "propose"})
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    integration = db.session.query(Integration).one()
    assert integration.component_map == {"crm-api": components["crm"].id} and integration.resolve_mode == "propose"
    url = next(line for line in page.split("<code>") if line.startswith("http://status.test/integrations/"))
    url = url.split("</code>")[0]
    assert url.startswith("http://status.test/integrations/") and integration.token_hint in url

    alert = alertmanager()
    alert["alerts"][0]["labels"]["service"] = "crm-api"
    assert client.post(url.replace("http://status.test", ""), json=alert).status_code == 200
    listing = client.get("/admin/integrations").get_data(as_text=True)
    assert "Prod AM" in listing and "WithdrawalErrors on crm" in listing and url not in listing
    assert 'href="/admin/integrations"' in listing  # in the admin navigation

    assert client.post(f"/admin/integrations/{integration.id}/delete").status_code == 302
    db.session.expire_all()
    assert db.session.get(Integration, integration.id).deleted_at is not None
    assert client.post(url.replace("http://status.test", ""), json=alert).status_code == 404


def test_a_bad_form_says_what_is_wrong(client, db, login):
    login()
    resp = client.post("/admin/integrations", data={"name": "X", "kind": "alertmanager", "component_map": "crm"})
    assert resp.status_code == 400 and "value = component id" in resp.get_data(as_text=True)
    assert db.session.query(Integration).count() == 0


@pytest.mark.parametrize("role", ["viewer", "responder"])
def test_only_admins_see_the_page(client, role, login):
    login(role)
    assert client.get("/admin/integrations").status_code == 403
    assert client.post("/admin/integrations", data={"name": "x", "kind": "grafana"}).status_code == 403


def test_the_drafts_internal_timeline_shows_what_the_monitoring_said(client, db, components, login, make_integration):
    _answer, url = make_integration()
    client.post(url, json=alertmanager())
    client.post(url, json=alertmanager(am_alert(status="resolved")))
    login("viewer")
    draft = db.session.query(Incident).one()
    page = client.get(f"/admin/incidents/{draft.id}").get_data(as_text=True)
    timeline = html.unescape(page.split('class="timeline internal"')[1])
    assert "Firing from 'Prod alertmanager': WithdrawalErrors on crm (CRM: Major outage)" in timeline
    assert "Alert resolved: WithdrawalErrors on crm; 'CRM' restored to operational" in timeline
