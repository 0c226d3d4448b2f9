"""The incident response over the admin API: severity, responders and pages, the policy, notes, checks."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from statuspage.delivery.runner import drain_outbox
from statuspage.delivery.stats import delivery_stats
from statuspage.models import Delivery, Incident, IncidentNote, utcnow
from statuspage.services.incident_response import remind_checks
from tests.doubles.smtp import smtp_sink  # noqa: F401  (fixture)
from tests.doubles.twilio import twilio_double  # noqa: F401  (fixture)
from tests.factories import gen_subscriber

API = "/api/admin/v1"
pytestmark = pytest.mark.usefixtures("fresh_limits")


@pytest.fixture
def app_config(smtp_sink, twilio_double):  # noqa: F811
    return {**smtp_sink.config, **twilio_double.config, "SMS_RATE_PER_SECOND": 100}


@pytest.fixture
def admin(bearer):
    return bearer("admin")


def _responder(client, admin, name, level, **kw):
    resp = client.post(f"{API}/responders", json={"name": name, "level": level, **kw}, headers=admin)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def _declare(client, admin, **kw):
    body = {"name": "Withdrawals failing", "status": "investigating", "impact": "major", "body": "Call 400-1.", **kw}
    resp = client.post(f"{API}/incidents", json=body, headers=admin)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def _pages(db):
    db.session.expire_all()
    return db.session.query(Delivery).filter_by(kind="page").order_by(Delivery.id).all()


def test_severity_defaults_from_the_impact_and_can_be_given(client, db, admin):
    assert _declare(client, admin, impact="critical")["severity"] == "sev1"
    assert _declare(client, admin, impact="minor")["severity"] == "sev3"
    assert _declare(client, admin, impact="minor", severity="sev2")["severity"] == "sev2"
    resp = client.post(f"{API}/incidents", json={"name": "x", "severity": "sev9"}, headers=admin)
    assert resp.status_code == 422 and "severity" in resp.get_json()["error"]["details"]


def test_responders_are_listed_validated_and_soft_deleted(client, db, admin):
    one = _responder(client, admin, "Ana", 1, email="ana@example.com", phone="+14155550101")
    assert one["phone"] == "+14155550101" and one["level"] == 1
    bad = client.post(f"{API}/responders", json={"name": "Nobody", "level": 1}, headers=admin)
    assert bad.status_code == 422
    assert client.post(f"{API}/responders", json={"name": "B", "email": "b@example.com", "level": 0},
                       headers=admin).status_code == 422
    assert [r["name"] for r in client.get(f"{API}/responders", headers=admin).get_json()] == ["Ana"]
    assert client.delete(f"{API}/responders/{one['id']}", headers=admin).status_code == 200
    assert client.get(f"{API}/responders", headers=admin).get_json() == []


def test_severity_policy_has_a_seed_and_is_replaced_per_severity(client, db, admin):
    policy = client.get(f"{API}/severity-policy", headers=admin).get_json()
    assert policy["sev1"]["check_minutes"] == 30 and policy["sev2"]["check_minutes"] == 30
    resp = client.put(f"{API}/severity-policy", json={"sev1": {"page_levels": [1, 2], "check_minutes": 5}},
                      headers=admin)
    assert resp.status_code == 200
    assert resp.get_json()["sev1"] == {"page_levels": [1, 2], "check_minutes": 5, "escalate_after_missed": 2}
    assert resp.get_json()["sev2"]["check_minutes"] == 30
    assert client.put(f"{API}/severity-policy", json={"sev1": {"check_minutes": -1}},
                      headers=admin).status_code == 422
    assert client.put(f"{API}/severity-policy", json={"sev7": {}}, headers=admin).status_code == 422


def test_a_declared_sev1_pages_level_1_by_email_and_sms_and_no_customer(client, db, admin, smtp_sink,
                                                                         twilio_double):  # noqa: F811
    _responder(client, admin, "Ana", 1, email="ana@example.com", phone="+14155550101")
    _responder(client, admin, "Bo", 2, email="bo@example.com")
    gen_subscriber("customer@example.com")
    db.session.commit()
    incident = _declare(client, admin, impact="critical")
    drain_outbox()
    assert "ana@example.com" in smtp_sink.recipients() and "bo@example.com" not in smtp_sink.recipients()
    page = next(m for m in smtp_sink.messages if "ana@example.com" in m["rcpt_tos"])
    customer = next(m for m in smtp_sink.messages if "customer@example.com" in m["rcpt_tos"])
    assert "SEV1 page" in page["data"].decode() and "SEV1" not in customer["data"].decode()
    assert [r["form"]["To"] for r in twilio_double.sent()] == ["+14155550101"]
    # Pages are never customer notices: not in the stats, never to a subscriber.
    assert all(p.subscriber_id is None and p.update_id is None for p in _pages(db))
    assert delivery_stats()["total"] == 1 and delivery_stats(incident_id=incident["id"])["total"] == 1
    kinds = [n.kind for n in db.session.query(IncidentNote).filter_by(incident_id=incident["id"])]
    assert kinds == ["page"]


def test_a_draft_pages_nobody_until_it_is_published(client, db, admin):
    _responder(client, admin, "Ana", 1, email="ana@example.com")
    incident = _declare(client, admin, impact="critical", draft=True)
    assert _pages(db) == []
    client.patch(f"{API}/incidents/{incident['id']}", json={"draft": False}, headers=admin)
    assert [p.recipient for p in _pages(db)] == ["ana@example.com"]


def test_raising_the_severity_with_a_reason_pages_per_the_new_policy(client, db, admin):
    _responder(client, admin, "Ana", 1, email="ana@example.com")
    incident = _declare(client, admin, impact="minor")
    assert _pages(db) == []
    resp = client.patch(f"{API}/incidents/{incident['id']}", json={"severity": "sev2", "severity_reason": "spreading"},
                        headers=admin)
    assert resp.get_json()["severity"] == "sev2"
    assert [p.recipient for p in _pages(db)] == ["ana@example.com"]
    notes = client.get(f"{API}/incidents/{incident['id']}/notes", headers=admin).get_json()
    assert any(n["kind"] == "severity" and "spreading" in n["body"] for n in notes)


def test_missed_checks_remind_the_lead_then_page_the_next_level(client, db, admin):
    client.put(f"{API}/severity-policy", json={"sev1": {"check_minutes": 1, "escalate_after_missed": 2}},
               headers=admin)
    lead = _responder(client, admin, "Ana", 1, email="ana@example.com")
    _responder(client, admin, "Bo", 2, email="bo@example.com")
    incident = _declare(client, admin, impact="critical")
    client.put(f"{API}/incidents/{incident['id']}/team", json={"lead": lead["id"]}, headers=admin)
    start = db.session.get(Incident, incident["id"]).started_at
    assert remind_checks(now=start + timedelta(seconds=30)) == 0
    assert remind_checks(now=start + timedelta(seconds=61)) == 1
    pages = _pages(db)
    assert [p.recipient for p in pages] == ["ana@example.com", "ana@example.com"]
    assert "Check due" in json.loads(pages[-1].payload)["subject"]
    assert remind_checks(now=start + timedelta(seconds=65)) == 0
    remind_checks(now=start + timedelta(seconds=121))
    assert "bo@example.com" in [p.recipient for p in _pages(db)]
    notes = client.get(f"{API}/incidents/{incident['id']}/notes", headers=admin).get_json()
    assert any(n["kind"] == "escalation" and "level 2" in n["body"] for n in notes)


def test_a_recorded_check_starts_a_new_interval(client, db, admin):
    client.put(f"{API}/severity-policy", json={"sev1": {"check_minutes": 1}}, headers=admin)
    incident = _declare(client, admin, impact="critical")
    resp = client.post(f"{API}/incidents/{incident['id']}/notes", json={"kind": "check"}, headers=admin)
    assert resp.status_code == 201 and resp.get_json()["kind"] == "check"
    checked = db.session.get(Incident, incident["id"]).last_check_at
    assert remind_checks(now=checked + timedelta(seconds=50)) == 0
    assert remind_checks(now=checked + timedelta(seconds=70)) == 1


def test_a_note_never_reaches_a_public_surface_nor_a_customer(client, db, admin):
    gen_subscriber("customer@example.com")
    db.session.commit()
    incident = _declare(client, admin, impact="critical")
    secret = "Rolled back db-7 xyzzy-internal"
    resp = client.post(f"{API}/incidents/{incident['id']}/notes", json={"body": secret}, headers=admin)
    assert resp.status_code == 201
    assert client.post(f"{API}/incidents/{incident['id']}/notes", json={"body": ""},
                       headers=admin).status_code == 422
    client.post(f"{API}/incidents/{incident['id']}/updates", json={"body": "Still on it."}, headers=admin)
    drain_outbox()
    surfaces = ["/", f"/incidents/{incident['id']}", "/history", "/feed.rss", "/feed.atom",
                "/api/v2/summary.json", "/api/v2/incidents.json", "/api/v2/incidents/unresolved.json"]
    for path in surfaces:
        page = client.get(path).get_data(as_text=True)
        assert "xyzzy-internal" not in page, path
        assert "sev1" not in page.lower(), path
    db.session.expire_all()
    assert all("xyzzy-internal" not in (d.payload or "") for d in db.session.query(Delivery))


def test_done_when_a_sev1_pages_reminds_and_escalates_at_the_real_servers(client, db, admin, smtp_sink,
                                                                          twilio_double):  # noqa: F811
    client.put(f"{API}/severity-policy", json={"sev1": {"page_levels": [1], "check_minutes": 1,
                                                        "escalate_after_missed": 2}}, headers=admin)
    lead = _responder(client, admin, "Ana", 1, email="ana@example.com", phone="+14155550101")
    _responder(client, admin, "Bo", 2, email="bo@example.com", phone="+14155550102")
    gen_subscriber("customer@example.com")
    db.session.commit()
    incident = _declare(client, admin, impact="critical")
    client.put(f"{API}/incidents/{incident['id']}/team", json={"lead": lead["id"]}, headers=admin)
    drain_outbox()
    assert sorted(set(smtp_sink.recipients())) == ["ana@example.com", "customer@example.com"]
    assert [r["form"]["To"] for r in twilio_double.sent()] == ["+14155550101"]
    start = db.session.get(Incident, incident["id"]).started_at
    remind_checks(now=start + timedelta(seconds=61))
    drain_outbox()
    reminders = [m for m in smtp_sink.messages if "ana@example.com" in m["rcpt_tos"]]
    assert len(reminders) == 2 and "bo@example.com" not in smtp_sink.recipients()
    remind_checks(now=start + timedelta(seconds=121))
    drain_outbox()
    assert "bo@example.com" in smtp_sink.recipients()
    assert "+14155550102" in [r["form"]["To"] for r in twilio_double.sent()]
    customer = [m for m in smtp_sink.messages if "customer@example.com" in m["rcpt_tos"]]
    assert len(customer) == 1
    notes = client.get(f"{API}/incidents/{incident['id']}/notes", headers=admin).get_json()
    assert [n["kind"] for n in notes if n["kind"] in ("escalation",)] == ["escalation"]


def test_an_edit_with_an_empty_or_unknown_severity_is_refused(client, db, admin):
    incident = _declare(client, admin, impact="critical")
    for bad in ("", "sev0", None):
        resp = client.patch(f"{API}/incidents/{incident['id']}", json={"severity": bad}, headers=admin)
        assert resp.status_code == 422, bad
    assert client.get(f"{API}/incidents/{incident['id']}", headers=admin).get_json()["severity"] == "sev1"
