"""The broker loses its messages (this run's own Redis db flushed): the outbox is the source of truth
and the sweeper re-enqueues what the broker dropped. PostgreSQL + Redis leg only."""
from __future__ import annotations

import os
import time

import pytest

from tests.conftest import is_postgres
from tests.delivery.helpers import outbox_rows, post_incident
from tests.doubles.smtp import smtp_sink  # noqa: F401  (fixture)
from tests.faults.ledger import assert_exactly_once, flush_own_broker_db, ledger, own_broker_db
from tests.helpers import wait_for
from tests.faults.processes import celery_worker, process_env, stop

BROKER = os.environ.get("CELERY_BROKER_URL")
pytestmark = [
    pytest.mark.skipif(not (is_postgres() and BROKER and BROKER.startswith("redis")),
                       reason="needs PostgreSQL and a Redis CELERY_BROKER_URL"),
    pytest.mark.celery,
    pytest.mark.slow,
]


def test_flush_refuses_anything_but_a_numbered_loopback_db():
    for bad in ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379", "redis://10.0.0.5:6379/7", "amqp://127.0.0.1//"):
        with pytest.raises(RuntimeError):
            own_broker_db(bad)
    assert own_broker_db("redis://127.0.0.1:6379/13")[1] == 13


def test_wakeups_lost_by_the_broker_are_re_enqueued_by_the_sweeper(app, db, smtp_sink, tmp_path):  # noqa: F811
    from statuspage.tasks import sweep

    addresses = [f"user{i}@example.com" for i in range(25)]
    subs, update = post_incident(db, addresses)  # the commit published wake-ups; no worker is running yet
    dropped = flush_own_broker_db()
    assert dropped >= 1  # the wake-ups were there, and now they are gone
    worker = celery_worker(process_env(app, tmp_path, "sweeper", smtp=smtp_sink, broker=BROKER), "sweeper",
                           kick_on_start=False)
    try:
        time.sleep(4)  # the worker is up; with the wake-ups lost, nothing tells it to deliver
        assert len(smtp_sink.messages) == 0
        assert {r.status for r in outbox_rows(db, update)} == {"queued"}  # nothing lost: the rows wait
        assert sweep.run() == len(addresses)  # what beat runs every 30 s
        assert wait_for(lambda: {r.status for r in outbox_rows(db, update)} == {"sent"}, timeout=40)
        time.sleep(0.5)
        assert sweep.run() == 0  # nothing due: the sweeper adds no work
    finally:
        stop(worker)
    figures = ledger("broker flushed before delivery, sweeper", db, update, smtp_sink.recipients(), addresses)
    assert_exactly_once(figures)


def test_broker_flushed_mid_delivery_loses_nothing_and_doubles_nothing(app, db, smtp_sink, tmp_path):  # noqa: F811
    from statuspage.tasks import sweep

    addresses = [f"user{i}@example.com" for i in range(25)]
    env = process_env(app, tmp_path, "midway", smtp=smtp_sink, broker=BROKER, DELIVERY_BATCH_SIZE="5")
    worker = celery_worker(env, "midway")
    try:
        time.sleep(3)
        smtp_sink.hold_at(8)
        subs, update = post_incident(db, addresses)
        assert smtp_sink.held.wait(40)
        flush_own_broker_db()  # the running task's message and every queued wake-up vanish
        smtp_sink.hold_number = None
        smtp_sink.release()  # the held message gets a 451 and a retry
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and {r.status for r in outbox_rows(db, update)} != {"sent"}:
            sweep.run()  # beat's job, sped up
            time.sleep(1)
        time.sleep(0.5)
    finally:
        stop(worker)
    figures = ledger("broker flushed mid-delivery", db, update, smtp_sink.recipients(), addresses)
    assert_exactly_once(figures)
