"""The OpenAPI-generated Python client for Atlassian's API (PyPI `atlassian-statuspage`) runs a realistic
script against this server over HTTP, changing only its base URL: list pages, create a component, open an
incident with a component status that notifies a subscriber (read back at a real SMTP server), update and
resolve it, schedule a maintenance, list unresolved. Every answer is deserialised into the client's models."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from werkzeug.serving import make_server

from statuspage.delivery.runner import drain_outbox
from statuspage.models import Component
from tests.doubles.smtp import smtp_sink  # noqa: F401  (fixture)
from tests.factories import gen_admin, gen_api_token, gen_subscriber

sp = pytest.importorskip("atlassian_statuspage")


@pytest.fixture
def app_config(smtp_sink):  # noqa: F811
    return {**smtp_sink.config}


@pytest.fixture
def base_url(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/v1"
    server.shutdown()
    thread.join(5)


@pytest.fixture
def api(db, base_url):
    user = gen_admin("automation@example.com", role="responder")
    _token, raw = gen_api_token(user, role="responder")
    admin = gen_admin("terraform@example.com", role="admin")
    _token, admin_raw = gen_api_token(admin, role="admin")
    db.session.commit()

    def client(key):
        config = sp.Configuration()
        config.host = base_url
        config.api_key["Authorization"] = key
        config.api_key_prefix["Authorization"] = "OAuth"
        return sp.ApiClient(config)

    return {"responder": client(raw), "admin": client(admin_raw)}


def test_a_script_written_for_api_statuspage_io_runs_against_us(app, db, api, smtp_sink):  # noqa: F811
    gen_subscriber("customer@example.com")
    db.session.commit()
    pages_api = sp.PagesApi(api["responder"])
    pages = pages_api.get_pages()
    assert len(pages) == 1 and isinstance(pages[0], sp.Page)
    page_id = pages[0].id

    component = sp.ComponentsApi(api["admin"]).post_pages_page_id_components(
        sp.PostPagesPageIdComponents(component=sp.PostPagesPageIdComponentsComponent(
            name="Withdrawals", description="Moving money out", status="operational", showcase=True)), page_id)
    assert isinstance(component, sp.Component) and component.page_id == page_id

    incidents = sp.IncidentsApi(api["responder"])
    opened = incidents.post_pages_page_id_incidents(sp.PostPagesPageIdIncidents(incident=sp.PostPagesPageIdIncidentsIncident(
        name="Withdrawals failing", status="investigating", impact_override="major",
        body="Withdrawals fail. Call the hotline 400-100.", deliver_notifications=True,
        component_ids=[component.id], components={component.id: "major_outage"},
        metadata={"pagerduty": {"incident_key": "PD-7"}})), page_id)
    assert isinstance(opened, sp.Incident)
    assert (opened.status, opened.impact, opened.metadata) == ("investigating", "major", {"pagerduty": {"incident_key": "PD-7"}})
    assert isinstance(opened.incident_updates[0], sp.IncidentUpdate)
    assert opened.components[0].status == "major_outage"
    assert db.session.get(Component, int(component.id)).status == "major_outage"

    drain_outbox()
    assert smtp_sink.recipients() == ["customer@example.com"]
    assert "Withdrawals failing" in smtp_sink.messages[0]["message"]["Subject"]

    identified = incidents.patch_pages_page_id_incidents_incident_id(sp.PatchPagesPageIdIncidents(
        incident=sp.PatchPagesPageIdIncidentsIncident(status="identified", body="A certificate expired.")),
        page_id, opened.id)
    assert [u.status for u in identified.incident_updates] == ["identified", "investigating"]

    resolved = incidents.patch_pages_page_id_incidents_incident_id(sp.PatchPagesPageIdIncidents(
        incident=sp.PatchPagesPageIdIncidentsIncident(status="resolved", body="Renewed; all good.")),
        page_id, opened.id)
    assert resolved.status == "resolved" and resolved.resolved_at is not None
    db.session.expire_all()
    assert db.session.get(Component, int(component.id)).status == "operational"
    drain_outbox()
    assert smtp_sink.recipients() == ["customer@example.com"] * 3

    start = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=2)
    maintenance = incidents.post_pages_page_id_incidents(sp.PostPagesPageIdIncidents(incident=sp.PostPagesPageIdIncidentsIncident(
        name="Database upgrade", status="scheduled", body="Read-only for an hour.", scheduled_for=start,
        scheduled_until=start + timedelta(hours=1), scheduled_auto_in_progress=True, scheduled_auto_completed=True,
        component_ids=[component.id])), page_id)
    assert maintenance.status == "scheduled" and maintenance.scheduled_for == start

    assert incidents.get_pages_page_id_incidents_unresolved(page_id) == []
    upcoming = incidents.get_pages_page_id_incidents_upcoming(page_id)
    assert [i.id for i in upcoming] == [maintenance.id]
    everything = incidents.get_pages_page_id_incidents(page_id, limit=10, page=1)
    assert {i.id for i in everything} == {opened.id, maintenance.id}
    assert sp.ComponentsApi(api["responder"]).get_pages_page_id_components_component_id(
        page_id, component.id).status == "operational"
