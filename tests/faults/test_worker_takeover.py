"""The issue's recovery case: `deliver --drain` SIGKILLed while it holds a batch, then run again.

The second drain takes the dead worker's rows over once their short lease runs
out (within 15 s of the death at the default DELIVERY_LEASE_SECONDS), does not
exit while any row is held, and exits 0 only when every row is final. What the
dead worker had on the wire without a record goes out once more with the same
Message-ID (at most one batch); nothing is lost.
"""
from __future__ import annotations

import os
import signal
import time
from collections import Counter

import pytest

from statuspage.models import Delivery
from tests.delivery.helpers import post_incident
from tests.doubles.smtp import smtp_sink  # noqa: F401  (fixture)
from tests.faults.ledger import ledger
from tests.faults.processes import flask, process_env, stop
from tests.helpers import wait_for

N = 2000
BATCH = 500
DEFAULT_LEASE = 8
TAKEOVER_LIMIT = 15


def _held_by(db, update, worker: str) -> int:
    db.session.expire_all()
    n = db.session.query(Delivery).filter_by(update_id=update.id, status="sending", claimed_by=worker).count()
    db.session.commit()
    return n


@pytest.mark.slow
def test_killed_drain_is_taken_over_within_15_s_and_the_next_drain_exits_only_when_all_is_final(  # noqa: F811
        app, db, smtp_sink, tmp_path):
    addresses = [f"user{i}@example.com" for i in range(N)]
    _, update = post_incident(db, addresses)
    env = process_env(app, tmp_path, "drain", smtp=smtp_sink, DELIVERY_LEASE_SECONDS=str(DEFAULT_LEASE),
                      DELIVERY_BATCH_SIZE=str(BATCH))
    first = flask(env, "deliver", "--drain")
    try:
        assert wait_for(lambda: len(smtp_sink.messages) >= 300, timeout=60), len(smtp_sink.messages)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(10)
        killed_at = time.monotonic()
    finally:
        stop(first)
    on_the_wire = len(smtp_sink.messages)
    db.session.expire_all()
    holders = Counter(c for (c,) in db.session.query(Delivery.claimed_by)
                      .filter_by(update_id=update.id, status="sending"))
    db.session.commit()
    assert len(holders) == 1, holders  # the dead worker's batch, under its lease
    dead, held = holders.most_common(1)[0]
    assert 0 < held <= BATCH

    log_path = tmp_path / "second.log"
    with open(log_path, "wb") as log:
        second = flask(env, "deliver", "--drain", log=log)
        try:
            assert wait_for(lambda: _held_by(db, update, dead) == 0, timeout=TAKEOVER_LIMIT + 5, every=0.2)
            taken_over_after = time.monotonic() - killed_at
            assert second.poll() is None or second.returncode == 0
            assert second.wait(120) == 0, log_path.read_text()
        finally:
            stop(second)
    out = log_path.read_text()
    db.session.expire_all()
    statuses = Counter(s for (s,) in db.session.query(Delivery.status).filter_by(update_id=update.id))
    assert statuses == {"sent": N}, statuses  # it exited only when every row was final
    assert f"{N} rows final, 0 waiting for a scheduled retry, 0 still to send" in out, out
    assert taken_over_after <= TAKEOVER_LIMIT, taken_over_after

    figures = ledger("drain SIGKILLed holding a batch, then drained again", db, update, smtp_sink.recipients(),
                     addresses)
    assert figures["lost"] == 0 and figures["stray"] == 0 and figures["rows_not_final"] == 0, figures
    assert figures["duplicated"] <= min(held, on_the_wire), figures  # at most the one batch on the wire
    by_address: dict[str, set] = {}
    for m in smtp_sink.messages:
        by_address.setdefault(m["rcpt_tos"][0], set()).add(m["message"]["Message-ID"])
    assert all(len(ids) == 1 for ids in by_address.values())  # a repeat carries the same Message-ID
    print(f"[faults] takeover after {taken_over_after:.1f} s; held {held}, on the wire {on_the_wire}, "
          f"sent again {figures['duplicated']}")
