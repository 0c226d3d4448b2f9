"""The review after an incident: the fixed steps, blameless, and action items that remind their owner."""
from __future__ import annotations

import json
from datetime import timedelta

from statuspage.jobs import job_named
from statuspage.models import ActionItem, Delivery, utcnow
from statuspage.services.review import remind_overdue
from tests.factories import gen_incident


def test_the_review_starts_from_the_fixed_steps_and_never_asks_who(client, db, login):
    incident = gen_incident()
    login("responder")
    html = client.get(f"/admin/incidents/{incident.id}/postmortem").get_data(as_text=True)
    for step in ("Goal", "Narrative", "Result", "Causes", "Lessons", "Document"):
        assert f"## {step}" in html
    assert "never who" in html


def test_an_overdue_action_item_reminds_its_owner_once_until_done(client, db, login):
    incident = gen_incident()
    login("responder")
    yesterday = (utcnow() - timedelta(days=1)).date().isoformat()
    resp = client.post(f"/admin/incidents/{incident.id}/action-items",
                       data={"title": "Alert on queue depth", "owner_email": "ops@example.com", "due": yesterday})
    assert resp.status_code == 302
    html = client.get(f"/admin/incidents/{incident.id}/postmortem").get_data(as_text=True)
    assert "Alert on queue depth" in html and "Overdue" in html
    assert job_named("overdue-action-items") is not None
    assert remind_overdue() == 1 and remind_overdue() == 0
    row = db.session.query(Delivery).filter_by(recipient="ops@example.com").one()
    assert "Alert on queue depth" in json.loads(row.payload)["subject"]
    item = db.session.query(ActionItem).one()
    client.post(f"/admin/action-items/{item.id}/done", data={"done": "1"})
    db.session.expire_all()
    assert db.session.get(ActionItem, item.id).done_at is not None


def test_an_action_item_needs_a_title_and_a_valid_owner(client, db, login):
    incident = gen_incident()
    login("responder")
    client.post(f"/admin/incidents/{incident.id}/action-items", data={"title": "", "owner_email": "x"})
    client.post(f"/admin/incidents/{incident.id}/action-items",
                data={"title": "Fix", "owner_email": "ops@example.com", "due": "tomorrow"})
    assert db.session.query(ActionItem).count() == 0
