"""The SMTP server goes down, greylists, or refuses: everything arrives once, or the row records why not."""
from __future__ import annotations

import time

import pytest

from statuspage.delivery.runner import drain_outbox
from statuspage.models import Delivery
from tests.delivery.helpers import drain_until_settled, outbox_rows, post_incident
from tests.doubles.smtp import smtp_sink  # noqa: F401  (fixture)
from tests.faults.ledger import assert_exactly_once, ledger

RETRY_BASE = 1.0


@pytest.fixture
def app_config(smtp_sink):  # noqa: F811
    return {**smtp_sink.config, "DELIVERY_RETRY_BASE_SECONDS": RETRY_BASE, "DELIVERY_RETRY_MAX_SECONDS": 2.0}


def test_smtp_outage_then_recovery_delivers_everything_once_with_backoff(app, db, smtp_sink):  # noqa: F811
    addresses = [f"user{i}@example.com" for i in range(20)]
    smtp_sink.outage()
    subs, update = post_incident(db, addresses)
    before = time.time()
    drain_outbox()
    took = time.time() - before  # each row's retry is counted from its own failure, somewhere in this span
    rows = outbox_rows(db, update)
    assert {r.status for r in rows} == {"queued"}  # every row kept for a retry, none dropped
    assert all("unreachable" in (r.last_error or "") for r in rows)
    # Backoff with jitter: every retry is in the future and they are spread, not one stampede.
    waits = sorted(r.next_attempt_at.timestamp() - before for r in rows)
    assert waits[0] >= RETRY_BASE / 2 - 0.05 and waits[-1] <= took + RETRY_BASE + 0.05
    assert len({round(w, 3) for w in waits}) > 1

    time.sleep(RETRY_BASE + 0.2)
    drain_outbox()  # due again, still down: another attempt, still kept
    assert len(smtp_sink.messages) == 0
    assert all(r.attempts >= 2 and r.status == "queued" for r in outbox_rows(db, update))

    smtp_sink.restore()
    drain_until_settled(db, update)
    figures = ledger("smtp outage then back", db, update, smtp_sink.recipients(), addresses)
    assert_exactly_once(figures)
    assert all(r.attempts >= 3 for r in outbox_rows(db, update))


def test_greylisting_is_retried_and_a_5xx_fails_only_its_row(app, db, smtp_sink):  # noqa: F811
    addresses = [f"user{i}@example.com" for i in range(12)]
    greylisted = addresses[:4]
    rejected = addresses[4:6]
    for a in greylisted:
        smtp_sink.refuse(a, 450, "4.7.1 greylisted, come back later")
    for a in rejected:
        smtp_sink.refuse(a, 550, "5.1.1 mailbox unavailable")
    subs, update = post_incident(db, addresses)
    drain_outbox()
    by_address = {r.recipient: r for r in outbox_rows(db, update)}
    assert all(by_address[a].status == "queued" and "450" in by_address[a].last_error for a in greylisted)
    assert all(by_address[a].status == "failed" and "550" in by_address[a].last_error for a in rejected)

    for a in greylisted:  # the greylist window passes
        smtp_sink.refused.pop(a)
    drain_until_settled(db, update)
    figures = ledger("smtp greylist 4xx + 5xx", db, update, smtp_sink.recipients(), addresses)
    assert_exactly_once(figures, failed=len(rejected))
    failed_rows = db.session.query(Delivery).filter_by(update_id=update.id, status="failed").all()
    assert {r.recipient for r in failed_rows} == set(rejected)
    assert all(r.attempts == 1 for r in failed_rows)  # a 5xx is never retried
