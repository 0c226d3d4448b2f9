"""The monthly incident report: per severity, how fast customers were told and the incident resolved."""
from __future__ import annotations

import pytest

from statuspage.delivery.runner import drain_outbox
from statuspage.models import Incident, utcnow
from tests.doubles.smtp import smtp_sink  # noqa: F401  (fixture)
from tests.factories import gen_subscriber

API = "/api/admin/v1"


@pytest.fixture
def app_config(smtp_sink):  # noqa: F811
    return dict(smtp_sink.config)


def test_the_monthly_report_shows_the_measured_times_per_severity(client, db, bearer, login, smtp_sink):  # noqa: F811
    admin = bearer("admin")
    gen_subscriber("customer@example.com")
    db.session.commit()
    incident = client.post(f"{API}/incidents", headers=admin, json={
        "name": "Payments down", "status": "investigating", "impact": "critical", "body": "Call 400-1."}).get_json()
    drain_outbox()
    client.post(f"{API}/incidents/{incident['id']}/updates", headers=admin, json={"status": "resolved", "body": "Fixed."})
    drain_outbox()
    assert db.session.get(Incident, incident["id"]).resolved_at is not None
    login("viewer")
    month = utcnow().strftime("%Y-%m")
    html = client.get(f"/admin/reports?month={month}").get_data(as_text=True)
    assert "Payments down" in html and "SEV1" in html
    csv = client.get(f"/admin/reports.csv?month={month}").get_data(as_text=True).splitlines()
    assert csv[0].startswith("month,severity,incidents,signal_to_declared,to_first_notice")
    sev1 = next(line.split(",") for line in csv if ",sev1," in line)
    assert sev1[2] == "1" and sev1[4] != "" and sev1[5] != "" and sev1[6] != ""
    assert client.get("/admin/reports?month=nope").status_code == 400
