"""Maintenance windows move by the clock (advance_due), not by page views."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from statuspage.models import Component, Delivery, Incident
from statuspage.services.maintenance import advance_due
from tests.factories import gen_component, gen_subscriber

NOW = datetime(2030, 3, 1, 12, 0, tzinfo=timezone.utc)


def _schedule(client, comp, **extra):
    data = {"name": "Database upgrade", "body": "We upgrade the database.", "scheduled_for": "2030-03-01T20:00",
            "scheduled_until": "2030-03-01T22:00", "time_zone": "Asia/Shanghai", "component_ids": str(comp.id),
            "visibility": "public", "audience": "everyone", "deliver_notifications": "on", "notify_on_start": "on",
            "notify_on_complete": "on", "auto_transition": "on"}
    data.update(extra)
    return client.post("/admin/maintenance/new", data=data)


def test_window_is_read_in_its_time_zone(client, db, login):
    comp = gen_component("Database")
    db.session.commit()
    login("responder")
    assert _schedule(client, comp).status_code == 302
    m = db.session.query(Incident).one()
    assert m.kind == "maintenance" and m.status == "scheduled"
    # 20:00 in Shanghai is 12:00 UTC.
    assert m.scheduled_for == NOW and m.scheduled_until == NOW + timedelta(hours=2)
    assert db.session.get(Component, comp.id).status == "operational"


def test_end_before_start_is_refused(client, db, login):
    comp = gen_component("Database")
    db.session.commit()
    login("responder")
    resp = _schedule(client, comp, scheduled_until="2030-03-01T19:00")
    assert resp.status_code == 422 and "must end after it starts" in resp.get_data(as_text=True)


def test_advance_due_starts_and_completes_on_time_and_only_once(client, db, login):
    comp = gen_component("Database")
    gen_subscriber("ops@example.com")
    db.session.commit()
    login("responder")
    _schedule(client, comp)
    m = db.session.query(Incident).one()
    scheduled_notices = db.session.query(Delivery).count()

    assert advance_due(NOW - timedelta(minutes=1)) == {"started": 0, "completed": 0}
    assert advance_due(NOW) == {"started": 1, "completed": 0}
    db.session.expire_all()
    assert db.session.get(Incident, m.id).status == "in_progress"
    assert db.session.get(Component, comp.id).status == "under_maintenance"
    assert advance_due(NOW + timedelta(minutes=5)) == {"started": 0, "completed": 0}
    assert db.session.query(Delivery).count() == scheduled_notices + 1

    assert advance_due(NOW + timedelta(hours=2)) == {"started": 0, "completed": 1}
    db.session.expire_all()
    m = db.session.get(Incident, m.id)
    assert m.status == "completed"
    assert db.session.get(Component, comp.id).status == "operational"
    assert [u.status for u in m.updates] == ["completed", "in_progress", "scheduled"]
    assert db.session.query(Delivery).count() == scheduled_notices + 2
    assert advance_due(NOW + timedelta(hours=3)) == {"started": 0, "completed": 0}


def test_flags_off_means_no_notice_at_start_or_completion(client, db, login):
    comp = gen_component("Database")
    gen_subscriber("ops@example.com")
    db.session.commit()
    login("responder")
    _schedule(client, comp, deliver_notifications="", notify_on_start="", notify_on_complete="")
    advance_due(NOW)
    advance_due(NOW + timedelta(hours=2))
    assert db.session.query(Incident).one().status == "completed"
    assert db.session.query(Delivery).count() == 0


def test_a_window_missed_entirely_goes_straight_to_completed(client, db, login):
    comp = gen_component("Database")
    db.session.commit()
    login("responder")
    _schedule(client, comp)
    assert advance_due(NOW + timedelta(days=1)) == {"started": 1, "completed": 1}
    assert db.session.get(Component, comp.id).status == "operational"
