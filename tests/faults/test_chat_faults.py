"""A team-chat endpoint goes down (connection refused, then 503s) and comes back: every robot gets its
notice exactly once, nothing lost, nothing doubled."""
from __future__ import annotations

import pytest

from statuspage.channels.chat import reset_slots
from statuspage.delivery.runner import drain_outbox
from statuspage.models import Delivery
from statuspage.services.fanout import fan_out_update
from tests.delivery.helpers import drain_until_settled
from tests.doubles.chat import ChatDouble
from tests.factories import gen_incident, gen_subscriber
from tests.faults.ledger import assert_exactly_once, ledger

KINDS = ("slack", "teams", "wecom", "feishu")
ROBOTS_PER_KIND = 5


@pytest.fixture
def app_config():
    return {"DELIVERY_RETRY_BASE_SECONDS": 0.2, "DELIVERY_RETRY_MAX_SECONDS": 0.5}


def test_a_chat_endpoint_down_then_back_loses_and_doubles_nothing(app, db):
    reset_slots()
    double = ChatDouble()
    port = double.server.server_address[1]
    robots = [(kind, double.url(kind, f"-{n}")) for kind in KINDS for n in range(ROBOTS_PER_KIND)]
    for kind, url in robots:
        gen_subscriber(url, channel=kind)
    urls = [url for _kind, url in robots]
    update = gen_incident(name="CRM withdrawals failing").updates[0]
    fan_out_update(update)
    db.session.commit()

    double.close()  # down: connections refused
    drain_outbox()
    db.session.expire_all()
    rows = db.session.query(Delivery).filter_by(update_id=update.id).all()
    assert len(rows) == len(urls), rows
    # Each row waits for a retry; refused connections never reached a robot, so they use none of its limit.
    assert all(r.status == "queued" and "unreachable" in r.last_error for r in rows), \
        [(r.status, r.last_error) for r in rows]

    back = ChatDouble(port=port)  # back on the same address, answering 503 twice per kind first
    try:
        for kind in KINDS:
            back.script(kind, "down", times=2)
        drain_until_settled(db, update, timeout=30)
        figures = ledger("chat endpoint down then back", db, update, back.landed(), urls)
        assert_exactly_once(figures)
        assert back.problems == []
    finally:
        back.close()
