"""Statuspage API v2: every endpoint validates against the documented shapes and keeps tenants apart."""
from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from statuspage.extensions import db
from statuspage.models import utcnow
from tests.factories import gen_component, gen_group, gen_incident, gen_tenant, gen_update

SCHEMA = json.loads((Path(__file__).parent / "statuspage_v2_schema.json").read_text())
ENDPOINTS = list(SCHEMA["endpoints"])


def validate(endpoint: str, document: dict) -> None:
    registry = Registry().with_resource(SCHEMA["$id"], Resource.from_contents(SCHEMA))
    schema = {"$ref": f"{SCHEMA['$id']}#/endpoints/{endpoint.replace('/', '~1')}"}
    validator = Draft202012Validator(schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    assert not errors, endpoint + ":\n" + "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


@pytest.fixture
def populated(app):
    now = utcnow()
    core = gen_group("Core platform")
    crm = gen_component("CRM", status="partial_outage", group=core, description="Customer records")
    api = gen_component("API", group=core)
    gen_component("Standalone")
    globex = gen_tenant("Globex", private=True)
    secret = gen_component("Globex gateway", tenant=globex)
    incident = gen_incident("CRM failing", impact="major", components=[crm])
    gen_update(incident, status="identified", body="Found it",
               affected_components=[{"code": str(crm.id), "name": "CRM", "old_status": "operational",
                                     "new_status": "partial_outage"},
                                    {"code": str(secret.id), "name": "Globex gateway", "old_status": "operational",
                                     "new_status": "major_outage"}])
    gen_incident("Old", status="resolved", impact="minor", resolved_at=now, monitoring_at=now)
    gen_incident("Globex only", visibility="tenants", tenants=[globex], components=[secret])
    gen_incident("Upgrade", kind="maintenance", status="scheduled", impact="minor", components=[api],
                 scheduled_for=now + timedelta(days=1), scheduled_until=now + timedelta(days=1, hours=1))
    gen_incident("Network", kind="maintenance", status="in_progress", impact="minor",
                 scheduled_for=now - timedelta(hours=1), scheduled_until=now + timedelta(hours=1))
    db.session.commit()
    return {"globex": globex, "crm": crm, "secret": secret}


def test_every_endpoint_matches_the_statuspage_schema(populated, client):
    for endpoint in ENDPOINTS:
        resp = client.get(f"/api/v2/{endpoint}")
        assert resp.status_code == 200, endpoint
        assert resp.mimetype == "application/json"
        validate(endpoint, resp.get_json())


def test_every_endpoint_matches_the_schema_on_an_empty_site(client):
    for endpoint in ENDPOINTS:
        resp = client.get(f"/api/v2/{endpoint}")
        assert resp.status_code == 200, endpoint
        validate(endpoint, resp.get_json())


def test_tenant_endpoints_match_the_schema(populated, client):
    from statuspage.services.tenants import access_token

    for endpoint in ENDPOINTS:
        resp = client.get(f"/t/globex/api/v2/{endpoint}?access={access_token(populated['globex'])}")
        assert resp.status_code == 200, endpoint
        validate(endpoint, resp.get_json())


def test_summary_reports_worst_state_and_groups_like_statuspage(populated, client):
    data = client.get("/api/v2/summary.json").get_json()
    assert data["status"] == {"indicator": "major", "description": "Partial System Outage"}
    assert data["page"]["url"] == "http://status.test/"
    group = next(c for c in data["components"] if c["group"])
    assert group["name"] == "Core platform"
    members = [c for c in data["components"] if c["group_id"] == group["id"]]
    assert sorted(group["components"]) == sorted(c["id"] for c in members)
    assert group["status"] == "partial_outage"
    assert [i["name"] for i in data["incidents"]] == ["CRM failing"]
    assert sorted(m["name"] for m in data["scheduled_maintenances"]) == ["Network", "Upgrade"]
    incident = data["incidents"][0]
    assert incident["shortlink"] == f"http://status.test/incidents/{incident['id']}"
    assert [u["status"] for u in incident["incident_updates"]] == ["identified", "investigating"]


def test_main_page_api_never_mentions_a_private_tenants_things(populated, client):
    for endpoint in ENDPOINTS:
        body = client.get(f"/api/v2/{endpoint}").get_data(as_text=True)
        assert "Globex" not in body, endpoint


def test_tenant_api_includes_its_own_private_things(populated, client):
    from statuspage.services.tenants import access_token

    data = client.get(f"/t/globex/api/v2/summary.json?access={access_token(populated['globex'])}").get_json()
    assert "Globex gateway" in [c["name"] for c in data["components"]]
    assert "Globex only" in [i["name"] for i in data["incidents"]]
    assert data["page"]["url"] == "http://status.test/t/globex/"


@pytest.mark.parametrize("endpoint, expected", [
    ("incidents/unresolved.json", ["CRM failing"]),
    ("scheduled-maintenances/upcoming.json", ["Upgrade"]),
    ("scheduled-maintenances/active.json", ["Network"]),
])
def test_filtered_lists(populated, client, endpoint, expected):
    data = client.get(f"/api/v2/{endpoint}").get_json()
    key = "incidents" if endpoint.startswith("incidents") else "scheduled_maintenances"
    assert [i["name"] for i in data[key]] == expected


def test_incidents_json_lists_resolved_ones_too_newest_first(populated, client):
    names = [i["name"] for i in client.get("/api/v2/incidents.json").get_json()["incidents"]]
    assert set(names) == {"CRM failing", "Old"}


@pytest.mark.parametrize("indicator_status, indicator, description", [
    ("degraded_performance", "minor", "Minor Service Outage"),
    ("major_outage", "critical", "Major System Outage"),
])
def test_status_json_indicator(app, client, indicator_status, indicator, description):
    gen_component("API", status=indicator_status)
    db.session.commit()
    assert client.get("/api/v2/status.json").get_json()["status"] == {"indicator": indicator,
                                                                      "description": description}


def test_xml_is_refused_with_406_json(client):
    resp = client.get("/api/v2/summary.json", headers={"Accept": "application/xml"})
    assert resp.status_code == 406
    assert resp.get_json()["error"]["code"] == "not_acceptable"
    assert client.get("/api/v2/summary.json", headers={"Accept": "*/*"}).status_code == 200


def test_unknown_api_path_is_a_json_404(client):
    resp = client.get("/api/v2/nothing.json")
    assert resp.status_code == 404
    assert resp.get_json()["error"]["code"] == "not_found"


def test_widgets_on_other_sites_may_read_the_api(client):
    resp = client.get("/api/v2/status.json", headers={"Origin": "https://customer.example"})
    assert resp.headers["Access-Control-Allow-Origin"] == "*"


def test_the_schema_itself_rejects_wrong_shapes(populated, client):
    good = client.get("/api/v2/summary.json").get_json()
    for spoil in (lambda d: d["components"][0].pop("page_id"),
                  lambda d: d["page"].update(updated_at="2026-01-01T00:00:00"),  # no offset
                  lambda d: d["incidents"][0].update(id=int(d["incidents"][0]["id"])),  # ids are strings
                  lambda d: d["status"].update(description="Everything is fine")):
        doc = json.loads(json.dumps(good))
        spoil(doc)
        with pytest.raises(AssertionError):
            validate("summary.json", doc)
