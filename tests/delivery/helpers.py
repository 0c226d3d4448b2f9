"""Shared steps of the delivery tests: post an incident to some subscribers, read the outbox back."""
from __future__ import annotations

from statuspage.models import Delivery
from statuspage.services.fanout import fan_out_update
from tests.factories import gen_incident, gen_subscriber


def post_incident(db, addresses, channel="email", **incident_kw):
    """Subscribers for `addresses`, an incident, its fan-out committed; returns (subscribers, update)."""
    subs = [gen_subscriber(a, channel=channel) for a in addresses]
    update = gen_incident(**incident_kw).updates[0]
    fan_out_update(update)
    db.session.commit()
    return subs, update


def outbox_rows(db, update) -> list[Delivery]:
    db.session.expire_all()
    return db.session.query(Delivery).filter_by(update_id=update.id).order_by(Delivery.id).all()
