"""Two and four worker processes drain one outbox at once (PostgreSQL: FOR UPDATE SKIP LOCKED)."""
from __future__ import annotations

import pytest

from statuspage.models import Delivery
from tests.conftest import is_postgres
from tests.delivery.helpers import post_incident
from tests.doubles.smtp import smtp_sink  # noqa: F401  (fixture)
from tests.faults.ledger import assert_exactly_once, ledger
from tests.faults.processes import flask, process_env, stop

needs_postgres = pytest.mark.skipif(not is_postgres(), reason="needs DATABASE_URL pointing at PostgreSQL")


@needs_postgres
@pytest.mark.slow
@pytest.mark.parametrize("workers", [2, 4])
def test_racing_workers_send_each_email_once(app, db, smtp_sink, tmp_path, workers):  # noqa: F811
    addresses = [f"user{i}@example.com" for i in range(100)]
    subs, update = post_incident(db, addresses)
    logs = [open(tmp_path / f"w{i}.log", "wb") for i in range(workers)]
    procs = [flask(process_env(app, tmp_path, f"w{i}", smtp=smtp_sink, DELIVERY_BATCH_SIZE="10"), "deliver", "--drain",
                   log=logs[i]) for i in range(workers)]
    try:
        for p in procs:
            assert p.wait(90) == 0
    finally:
        for i, log in enumerate(logs):
            log.close()
            print(f"[w{i}]", (tmp_path / f"w{i}.log").read_text()[-400:])
        stop(*procs)
    figures = ledger(f"{workers} workers racing", db, update, smtp_sink.recipients(), addresses)
    assert_exactly_once(figures)
    claimers = {c.split(":")[1] for (c,) in db.session.query(Delivery.claimed_by).filter_by(update_id=update.id).distinct()}
    print(f"[faults] {workers} workers racing: rows claimed by {len(claimers)} processes")
    assert len(claimers) >= 2  # they really raced: SKIP LOCKED let more than one make progress
    assert db.session.query(Delivery).filter(Delivery.update_id == update.id, Delivery.attempts > 1).count() == 0
