"""SIGKILL mid-batch, then a restart: every subscriber still gets the email; only what the killed worker had
on the wire without a record goes out again, with the same Message-ID.

Two runners: the embedded one (the web process `flask run` with its delivery
thread) and a Celery worker (PostgreSQL + Redis leg only).
"""
from __future__ import annotations

import os
import signal
import time

import pytest

from tests.conftest import is_postgres
from tests.delivery.helpers import outbox_rows, post_incident
from tests.doubles.smtp import smtp_sink  # noqa: F401  (fixture)
from tests.faults.ledger import assert_nothing_lost_repeats_bounded, ledger, own_broker_db
from tests.helpers import wait_for
from tests.faults.processes import LEASE, celery_worker, flask, free_port, process_env, stop

BROKER = os.environ.get("CELERY_BROKER_URL")
needs_celery = pytest.mark.skipif(not (is_postgres() and BROKER), reason="needs PostgreSQL and CELERY_BROKER_URL")


HOLD = 4


def _kill_mid_batch_and_restart(db, smtp, start, n=10, hold=HOLD):
    addresses = [f"user{i}@example.com" for i in range(n)]
    smtp.hold_at(hold)  # the hold-th message hangs inside the SMTP conversation
    first = start("first")
    subs, update = post_incident(db, addresses)
    try:
        assert smtp.held.wait(45), "the worker never reached the held message"
        os.kill(first.pid, signal.SIGKILL)
        first.wait(10)
    finally:
        stop(first)
    smtp.release()  # the dead worker's SMTP session ends with 451: that message did not land
    assert len(smtp.messages) == hold - 1
    in_doubt = [r for r in outbox_rows(db, update) if r.status == "sending"]
    assert in_doubt  # the rest of the claimed batch is leased to the dead worker

    second = start("second")
    try:
        assert wait_for(lambda: {r.status for r in outbox_rows(db, update)} == {"sent"}, timeout=LEASE + 40), \
            [(r.recipient, r.status) for r in outbox_rows(db, update)]
        time.sleep(0.5)  # anything sent twice would land now
    finally:
        stop(second)
    return addresses, update


@pytest.mark.slow
def test_web_process_killed_mid_batch_then_restarted_loses_nothing_and_repeats_only_the_wire(app, db, smtp_sink, tmp_path):  # noqa: F811
    def start(name):
        # Both runs share one instance folder, as a restarted server would (the delivery lock file lives there).
        env = process_env(app, tmp_path, "web", smtp=smtp_sink, EMBEDDED_WORKER="1", STATUSPAGE_SERVE="1")
        return flask(env, "run", "--host", "127.0.0.1", "--port", str(free_port()), "--no-reload")

    addresses, update = _kill_mid_batch_and_restart(db, smtp_sink, start)
    figures = ledger("embedded runner SIGKILL + restart", db, update, smtp_sink.recipients(), addresses)
    assert_nothing_lost_repeats_bounded(figures, HOLD - 1, smtp_sink.messages)


@needs_celery
@pytest.mark.celery
@pytest.mark.slow
def test_celery_worker_killed_mid_batch_then_restarted_loses_nothing_and_repeats_only_the_wire(app, db, smtp_sink, tmp_path):  # noqa: F811
    from statuspage.tasks import celery

    own_broker_db(BROKER)
    celery.control.purge()

    def start(name):
        env = process_env(app, tmp_path, name, smtp=smtp_sink, broker=BROKER, DELIVERY_BATCH_SIZE="10")
        return celery_worker(env, name)

    addresses, update = _kill_mid_batch_and_restart(db, smtp_sink, start)
    figures = ledger("celery worker SIGKILL + restart", db, update, smtp_sink.recipients(), addresses)
    assert_nothing_lost_repeats_bounded(figures, HOLD - 1, smtp_sink.messages)
