"""The outbox table's verbs: enqueue, claim a batch with a lease, renew the lease, record a batch's outcomes.

Every state change is a conditional UPDATE that says which rows this worker
still owns (healthchecks' `process_one_flip`). A claimed row carries
`lease_until`, pushed ahead by its worker's heartbeat while the worker lives;
a worker that dies leaves the lease to expire within DELIVERY_LEASE_SECONDS
and another worker reclaims the row. A row leaves `sending` only through its
owner (or a provider's status callback), so a row already `sent` is never
sent again.
"""
from __future__ import annotations

import json
import logging
import threading
from datetime import datetime, timedelta
from typing import NamedTuple

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


def _ts(value: datetime, dialect: str | None = None):
    """Bind a timestamp for raw SQL the way UTCDateTime stores it (`dialect`: outside an app context)."""
    return value.replace(tzinfo=None) if (dialect or db.engine.dialect.name) == "sqlite" else value


# A row is due: queued and its time has come, or being sent under a lease that ran out (its worker died).
DUE = "((status = 'queued' AND next_attempt_at <= :now) OR (status = 'sending' AND lease_until < :now))"


def due_count() -> int:
    """How many rows a worker could claim now."""
    n = db.session.execute(text(f"SELECT COUNT(*) FROM delivery WHERE {DUE}"),  # nosec B608: DUE is a constant
                           {"now": _ts(utcnow())}).scalar()
    db.session.commit()
    return int(n or 0)


def claim_batch(worker_id: str, channels: tuple[str, ...], limit: int, lease_seconds: float) -> list[int]:
    """Take up to `limit` due rows on `channels` for this worker and mark them sending; returns their ids.

    One statement claims, leases and counts the attempt for the whole batch.
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
        UPDATE delivery SET status = 'sending', claimed_by = :worker, lease_until = :lease, updated_at = :now,
                            attempts = attempts + 1
        WHERE id IN (SELECT id FROM due) AND {DUE}
        RETURNING id""")  # nosec B608: only this module's constants and generated :placeholders are formatted in; every value is a bound parameter
    ids = [r[0] for r in db.session.execute(sql, params)]
    db.session.commit()
    return sorted(ids)


def renew_leases(conn, worker_id: str, lease_seconds: float) -> int:
    """The heartbeat: push the lease of every row this worker holds `lease_seconds` ahead; returns how many."""
    now = utcnow()
    result = conn.execute(text("""
        UPDATE delivery SET lease_until = :lease
        WHERE claimed_by = :worker AND status = 'sending' AND lease_until IS NOT NULL"""),
        {"worker": worker_id, "lease": _ts(now + timedelta(seconds=lease_seconds), conn.dialect.name)})
    return result.rowcount or 0


class Outcome(NamedTuple):
    """What became of one claimed row; written with the others of its batch in one statement.

    status: sent (or the channel's own word for it, `logged`), failed, suppressed, queued (a retry at
    `next_at`, or a row given back untried with `attempts_delta` -1).
    """

    id: int
    status: str
    provider_id: str | None = None
    error: str | None = None
    next_at: datetime | None = None
    channel: str | None = None
    payload: str | None = None
    attempts_delta: int = 0


def record_outcomes(conn, worker_id: str, outcomes: list[Outcome]) -> set[int]:
    """Write a batch's outcomes in one UPDATE; returns the ids this worker still owned (the rows it finished).

    A row is written only while it is `sending` under this worker's claim, so a
    row a status callback finished first, or another worker took over, is left alone.
    Runs on `conn` (the caller commits).
    """
    if not outcomes:
        return set()
    now = utcnow()
    dialect = conn.dialect.name
    postgres = dialect == "postgresql"
    assignments = """status = v.status, provider_id = COALESCE(v.pid, {t}.provider_id),
        last_error = CASE WHEN v.status IN ('queued', 'failed', 'suppressed') THEN COALESCE(v.err, {t}.last_error)
                          ELSE NULL END,
        next_attempt_at = COALESCE(v.next_at, {t}.next_attempt_at),
        sent_at = CASE WHEN v.status IN ('sent', 'logged') THEN :now ELSE {t}.sent_at END,
        channel = COALESCE(v.channel, {t}.channel), payload = COALESCE(v.payload, {t}.payload),
        attempts = {t}.attempts + v.delta, lease_until = NULL, updated_at = :now"""
    params: dict = {"worker": worker_id, "now": _ts(now, dialect)}
    if postgres:
        # Arrays, not a VALUES list: one plan whatever the batch size, seven parameters in all.
        params.update(ids=[o.id for o in outcomes], statuses=[o.status for o in outcomes],
                      pids=[o.provider_id for o in outcomes], errs=[_cut(o.error) for o in outcomes],
                      nexts=[o.next_at for o in outcomes], channels=[o.channel for o in outcomes],
                      payloads=[o.payload for o in outcomes], deltas=[o.attempts_delta for o in outcomes])
        sql = f"""
            UPDATE delivery AS d SET {assignments.format(t="d")}
            FROM unnest(CAST(:ids AS bigint[]), CAST(:statuses AS text[]), CAST(:pids AS text[]),
                        CAST(:errs AS text[]), CAST(:nexts AS timestamptz[]), CAST(:channels AS text[]),
                        CAST(:payloads AS text[]), CAST(:deltas AS int[]))
                 AS v(id, status, pid, err, next_at, channel, payload, delta)
            WHERE d.id = v.id AND d.status = 'sending' AND d.claimed_by = :worker
            RETURNING d.id"""  # nosec B608: only this module's constants and generated :placeholders are formatted in; every value is a bound parameter
    else:
        rows = []
        for i, o in enumerate(outcomes):
            rows.append(f"(:i{i}, :s{i}, :p{i}, :e{i}, :n{i}, :c{i}, :y{i}, :d{i})")
            params.update({f"i{i}": o.id, f"s{i}": o.status, f"p{i}": o.provider_id, f"e{i}": _cut(o.error),
                           f"n{i}": _ts(o.next_at, dialect) if o.next_at else None, f"c{i}": o.channel,
                           f"y{i}": o.payload, f"d{i}": o.attempts_delta})
        sql = f"""
            WITH v(id, status, pid, err, next_at, channel, payload, delta) AS (VALUES {", ".join(rows)})
            UPDATE delivery SET {assignments.format(t="delivery")}
            FROM v WHERE delivery.id = v.id AND delivery.status = 'sending' AND delivery.claimed_by = :worker
            RETURNING delivery.id"""  # nosec B608: only this module's constants and generated :placeholders are formatted in; every value is a bound parameter
    return {r[0] for r in conn.execute(text(sql), params)}


def _cut(error: str | None) -> str | None:
    return error[:2000] if error else error


def outbox_progress() -> dict:
    """What `deliver --drain` waits on: rows due now, rows held under a lease, retries not yet due, final rows."""
    now = _ts(utcnow())
    row = db.session.execute(text("""
        SELECT
          SUM(CASE WHEN status = 'queued' AND next_attempt_at <= :now THEN 1 ELSE 0 END),
          SUM(CASE WHEN status = 'sending' AND lease_until >= :now THEN 1 ELSE 0 END),
          SUM(CASE WHEN status = 'sending' AND (lease_until < :now OR lease_until IS NULL) THEN 1 ELSE 0 END),
          SUM(CASE WHEN status = 'queued' AND next_attempt_at > :now THEN 1 ELSE 0 END),
          SUM(CASE WHEN status NOT IN ('queued', 'sending') THEN 1 ELSE 0 END)
        FROM delivery"""), {"now": now}).one()
    db.session.commit()
    due, held, expired, waiting, final = (int(v or 0) for v in row)
    return {"due": due + expired, "held": held, "waiting_retry": waiting, "final": final}


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
