"""An open public incident with no update for STALE_INCIDENT_MINUTES reminds its owner once."""
from __future__ import annotations

from datetime import timedelta

from statuspage.models import Delivery, utcnow
from statuspage.services.audit import Actor
from statuspage.services.incidents import post_update
from statuspage.services.staleness import remind_stale
from tests.factories import gen_admin, gen_incident



def test_stale_incident_reminds_its_owner_once_per_stale_period(app, db):
    owner = gen_admin("owner@example.com", role="responder")
    start = utcnow() - timedelta(minutes=45)
    incident = gen_incident("Withdrawals failing", owner_id=owner.id, started_at=start, last_public_update_at=start)
    gen_incident("Someone else's drill", visibility="drill", owner_id=owner.id, started_at=start)
    gen_incident("Resolved", status="resolved", owner_id=owner.id, started_at=start)
    db.session.commit()

    assert remind_stale() == 1
    assert remind_stale() == 0
    rows = db.session.query(Delivery).filter_by(kind="admin").all()
    assert [(r.channel, r.recipient) for r in rows] == [("email", "owner@example.com")]
    assert "Withdrawals failing" in rows[0].payload

    # A public update starts a new period; once that goes stale too, one more reminder.
    later = utcnow() + timedelta(minutes=1)
    post_update(incident, "identified", "Found it.", now=later, actor=Actor.system())
    assert remind_stale(later + timedelta(minutes=20)) == 0
    assert remind_stale(later + timedelta(minutes=31)) == 1
    assert remind_stale(later + timedelta(minutes=90)) == 0
    assert db.session.query(Delivery).filter_by(kind="admin").count() == 2


def test_fresh_incident_is_not_reminded(app, db):
    owner = gen_admin("owner@example.com")
    gen_incident("Just opened", owner_id=owner.id, last_public_update_at=utcnow())
    db.session.commit()
    assert remind_stale() == 0
    assert remind_stale(utcnow() + timedelta(minutes=app.config["STALE_INCIDENT_MINUTES"] + 1)) == 1
