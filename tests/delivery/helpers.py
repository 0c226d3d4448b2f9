"""Shared steps of the delivery tests: post an incident to some subscribers, drain the outbox, read it back."""
from __future__ import annotations

import time

from statuspage.delivery.runner import drain_outbox
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


def drain_until_settled(db, update, timeout: float = 20.0, every: float = 0.1) -> int:
    """Run the worker until no row of `update` waits for a retry; returns how many passes it took."""
    deadline = time.monotonic() + timeout
    passes = 0
    while time.monotonic() < deadline:
        drain_outbox()
        passes += 1
        if not [r for r in outbox_rows(db, update) if r.status in ("queued", "sending")]:
            return passes
        time.sleep(every)
    raise AssertionError(f"outbox still busy after {timeout}s: {[(r.recipient, r.status) for r in outbox_rows(db, update)]}")
