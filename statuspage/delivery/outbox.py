"""The outbox table's verbs: enqueue, claim with a lease, re-check, record the outcome.

Every state change is a conditional UPDATE whose row count says whether this
worker still owns the row (healthchecks' `process_one_flip`). A claimed row
carries `lease_until`; a worker that dies leaves the lease to expire and
another worker reclaims the row. A row leaves `sending` only through its
owner, so a row already `sent` is never sent again.
"""
from __future__ import annotations

import json
import logging
import threading
from datetime import datetime, timedelta

from sqlalchemy import event, text
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import Delivery, utcnow
from ..models.base import UTCDateTime

log = logging.getLogger(__name__)

# Called (no arguments) after a commit that queued work: the embedded runner
# sets its event, the Celery glue sends a wake-up task.
WAKEUP_CALLBACKS: list = []
_hook_lock = threading.Lock()
_hook_installed = False


def request_wakeup(session: Session | None = None, rows: int = 1) -> None:
    """Ask the workers to look at the outbox once this transaction commits."""
    _install_commit_hook()
    session = session or db.session
    session.info["delivery_wakeup"] = session.info.get("delivery_wakeup", 0) + max(1, rows)


def _install_commit_hook() -> None:
    global _hook_installed
    with _hook_lock:
        if _hook_installed:
            return

        @event.listens_for(Session, "after_commit")
        def _wake_after_commit(session):
            rows = session.info.pop("delivery_wakeup", 0)
            if rows:
                for callback in list(WAKEUP_CALLBACKS):
                    try:
                        callback(rows)
                    except Exception:  # a broker hiccup must not fail the commit; the sweeper catches up
                        log.warning("delivery wake-up failed", exc_info=True)

        @event.listens_for(Session, "after_rollback")
        def _forget_on_rollback(session):
            session.info.pop("delivery_wakeup", None)

        _hook_installed = True


def enqueue_message(kind: str, channel: str, recipient: str, subject: str, text: str, html: str | None = None):
    """Queue a one-off message (confirm code, test send, admin alert); returns the Delivery row (uncommitted)."""
    payload = {"subject": subject, "text": text, "html": html}
    row = Delivery(kind=kind, channel=channel, recipient=recipient, status="queued",
                   payload=json.dumps(payload, ensure_ascii=False), next_attempt_at=utcnow())
    db.session.add(row)
    db.session.flush()
    request_wakeup()
    return row


def _ts(value: datetime):
    """Bind a timestamp for raw SQL the way UTCDateTime stores it."""
    return value.replace(tzinfo=None) if db.engine.dialect.name == "sqlite" else value


# A row is due: queued and its time has come, or being sent under a lease that ran out (its worker died).
DUE = "((status = 'queued' AND next_attempt_at <= :now) OR (status = 'sending' AND lease_until < :now))"


def due_count() -> int:
    """How many rows a worker could claim now."""
    n = db.session.execute(text(f"SELECT COUNT(*) FROM delivery WHERE {DUE}"), {"now": _ts(utcnow())}).scalar()
    db.session.commit()
    return int(n or 0)


def claim_batch(worker_id: str, channels: tuple[str, ...], limit: int, lease_seconds: int) -> list[int]:
    """Take up to `limit` due rows on `channels` for this worker; returns their ids.

    Due: queued with next_attempt_at passed, or sending with an expired lease
    (its worker died). PostgreSQL: FOR UPDATE SKIP LOCKED, so many workers
    share the work without waiting on each other. SQLite: the UPDATE runs
    under the database's single write lock, so it is atomic as well.
    """
    now = utcnow()
    params = {"now": _ts(now), "lease": _ts(now + timedelta(seconds=lease_seconds)), "worker": worker_id,
              "limit": limit}
    names = ", ".join(f":ch{i}" for i in range(len(channels)))
    params.update({f"ch{i}": ch for i, ch in enumerate(channels)})
    postgres = db.engine.dialect.name == "postgresql"
    lock = " FOR UPDATE SKIP LOCKED" if postgres else ""
    # MATERIALIZED: as a plain `IN (subquery)` PostgreSQL may rescan the locking
    # subquery and claim far more than LIMIT rows (all of them, in practice).
    sql = text(f"""
        WITH due AS {"MATERIALIZED " if postgres else ""}(
            SELECT id FROM delivery
            WHERE channel IN ({names}) AND {DUE}
            ORDER BY next_attempt_at, id
            LIMIT :limit{lock})
        UPDATE delivery SET status = 'sending', claimed_by = :worker, lease_until = :lease, updated_at = :now
        WHERE id IN (SELECT id FROM due) AND {DUE}
        RETURNING id""")
    ids = [r[0] for r in db.session.execute(sql, params)]
    db.session.commit()
    return sorted(ids)


def begin_attempt(delivery_id: int, worker_id: str, lease_seconds: int) -> bool:
    """Re-check ownership right before sending, extend the lease and count the attempt."""
    now = utcnow()
    if db.engine.dialect.name == "postgresql":
        # No fsync for this one: losing it in a server crash only leaves the row under the claim's lease,
        # and the WAL is ordered, so the synchronous mark_sent after the send makes it durable too.
        # Halves the disk flushes per row (about 5 ms each here), which bound a worker's rate.
        db.session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    result = db.session.execute(text("""
        UPDATE delivery SET attempts = attempts + 1, lease_until = :lease, updated_at = :now
        WHERE id = :id AND status = 'sending' AND claimed_by = :worker AND lease_until > :now"""),
        {"id": delivery_id, "worker": worker_id, "now": _ts(now),
         "lease": _ts(now + timedelta(seconds=lease_seconds))})
    db.session.commit()
    return result.rowcount == 1


def _finish(delivery_id: int, worker_id: str, assignments: str, params: dict) -> bool:
    params = {**params, "id": delivery_id, "worker": worker_id, "now": _ts(utcnow())}
    result = db.session.execute(text(f"""
        UPDATE delivery SET {assignments}, lease_until = NULL, updated_at = :now
        WHERE id = :id AND status = 'sending' AND claimed_by = :worker"""), params)
    db.session.commit()
    return result.rowcount == 1


def mark_sent(delivery_id: int, worker_id: str, provider_id: str | None, channel: str,
              payload: str | None = None) -> bool:
    # Log mode keeps the message without sending it: `logged`, never counted as sent.
    status = "logged" if channel == "log" else "sent"
    assignments = (f"status = '{status}', provider_id = :pid, sent_at = :now, last_error = NULL, "
                   "channel = :channel")
    params = {"pid": provider_id, "channel": channel}
    if payload is not None:
        assignments += ", payload = :payload"
        params["payload"] = payload
    return _finish(delivery_id, worker_id, assignments, params)


def mark_retry(delivery_id: int, worker_id: str, error: str, when: datetime) -> bool:
    return _finish(delivery_id, worker_id, "status = 'queued', last_error = :error, next_attempt_at = :when",
                   {"error": error[:2000], "when": _ts(when)})


def mark_failed(delivery_id: int, worker_id: str, error: str, status: str = "failed") -> bool:
    return _finish(delivery_id, worker_id, "status = :status, last_error = :error",
                   {"error": error[:2000], "status": status})


def release(delivery_id: int, worker_id: str) -> bool:
    """Give a claimed row back untouched (the worker is stopping)."""
    return _finish(delivery_id, worker_id, "status = 'queued'", {})


def next_due_in(channels: tuple[str, ...] | None = None) -> float | None:
    """Seconds until the earliest queued row is due (0 if overdue), None when nothing waits."""
    row = db.session.execute(text(
        "SELECT MIN(next_attempt_at) FROM delivery WHERE status = 'queued'")).scalar()
    lease = db.session.execute(text(
        "SELECT MIN(lease_until) FROM delivery WHERE status = 'sending'")).scalar()
    db.session.commit()
    times = [t for t in (row, lease) if t is not None]
    if not times:
        return None
    earliest = min(UTCDateTime().process_result_value(
        datetime.fromisoformat(t) if isinstance(t, str) else t, db.engine.dialect) for t in times)
    return max(0.0, (earliest - utcnow()).total_seconds())
