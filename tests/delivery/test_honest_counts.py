"""Counts that only count what a provider accepted (issue 12): log mode is "logged, not sent" everywhere."""
from __future__ import annotations

import pytest

from statuspage.delivery.runner import drain_outbox
from tests.delivery.helpers import outbox_rows, post_incident
from tests.factories import gen_subscriber


@pytest.fixture
def app_config():
    return {}  # no MAIL_SERVER, no Twilio: both channels run in log mode


def _post_in_log_mode(db):
    gen_subscriber("+14155552671", channel="sms")
    _, update = post_incident(db, ["a@example.com", "b@example.com"], name="CRM withdrawals failing")
    drain_outbox()
    return update


def test_log_mode_is_recorded_as_logged_not_sent(app, db):
    update = _post_in_log_mode(db)
    rows = outbox_rows(db, update)
    assert len(rows) == 3 and {r.status for r in rows} == {"logged"} and {r.channel for r in rows} == {"log"}


def test_the_incident_page_says_logged_not_sent_and_notified_counts_none(app, db, client, login):
    update = _post_in_log_mode(db)
    login("viewer")
    html = client.get(f"/admin/incidents/{update.incident_id}").get_data(as_text=True)
    assert "Logged, not sent" in html
    assert "notified (0/3)" in html
    row = html[html.index("delivery-summary"):]
    assert '<td class="st-logged"><a href="/admin/deliveries?incident_id=' in row


def test_the_admin_api_and_metrics_say_logged(app, db, client, bearer):
    update = _post_in_log_mode(db)
    rows = client.get(f"/api/admin/v1/deliveries?incident_id={update.incident_id}", headers=bearer("viewer")).get_json()
    assert {r["status"] for r in rows} == {"logged"}
    assert client.get("/api/admin/v1/deliveries?status=logged", headers=bearer("viewer")).status_code == 200
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'statuspage_outbox_deliveries{status="logged"} 3.0' in metrics
    assert 'statuspage_outbox_deliveries{status="sent"} 0.0' in metrics


def test_failures_show_with_reasons_and_retry_failed_queues_them_again(app, db, client, login):
    _, update = post_incident(db, ["a@example.com", "b@example.com"], name="CRM withdrawals failing")
    for row in outbox_rows(db, update):
        row.channel, row.status, row.last_error = "email", "failed", "SMTP 500 Line too long"
    db.session.commit()
    login("responder")
    html = client.get(f"/admin/incidents/{update.incident_id}").get_data(as_text=True)
    assert "2 × SMTP 500 Line too long" in html and "Retry failed deliveries" in html
    assert "notified (0/" in html
    resp = client.post(f"/admin/incidents/{update.incident_id}/deliveries/retry")
    assert resp.status_code == 302
    assert {r.status for r in outbox_rows(db, update)} == {"queued"}
