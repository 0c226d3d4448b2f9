"""The one delivery function both runners use: claim a batch, send each row, record the outcome.

Each row is committed on its own right after its send, so a worker killed
mid-batch leaves only the row it was sending in doubt (that one is sent
again once its lease expires: at-least-once for the single message in
flight, never for the rest of the batch).
"""
from __future__ import annotations

import json
import os
import socket
import time
import uuid
from collections import Counter

from flask import current_app
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import joinedload

from ..channels import CHANNELS, DeliveryError, channel_for
from ..extensions import db
from ..models import Delivery, Incident, IncidentUpdate, Subscriber, utcnow
from ..notices import delivery_message
from ..settings import setting
from . import outbox
from .backoff import next_attempt

CHANNEL_GROUPS = tuple(CHANNELS)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def lease_seconds() -> int:
    return int(setting("DELIVERY_LEASE_SECONDS", 120))


def batch_size(group: str) -> int:
    cfg = current_app.config
    if group == "sms":
        # Never claim more than the rate ceiling can send well inside one lease.
        per_lease = float(cfg.get("SMS_RATE_PER_SECOND") or 1.0) * lease_seconds() / 3
        return max(1, min(int(setting("DELIVERY_BATCH_SIZE", 100)), int(per_lease)))
    return int(setting("DELIVERY_BATCH_SIZE", 100))


def suppression_reason(row: Delivery) -> str | None:
    """Why a queued notice must not go out any more, re-checked right before sending."""
    if row.kind != "update":
        return None
    sub = row.subscriber
    if sub is None or sub.deleted_at is not None:
        return "the subscriber was deleted"
    if sub.opted_out:
        return "the subscriber opted out"
    if not sub.confirmed:
        return "the subscriber is not confirmed"
    update = row.update
    if update is None:
        return "the update was deleted"
    incident = update.incident
    if incident.deleted_at is not None:
        return "the incident was deleted"
    if incident.draft:
        return "the incident is a draft again"
    return None


def _load(ids: list[int]) -> list[Delivery]:
    rows = (db.session.query(Delivery)
            .options(joinedload(Delivery.subscriber),
                     joinedload(Delivery.update).joinedload(IncidentUpdate.incident).selectinload(Incident.affected))
            .filter(Delivery.id.in_(ids)).order_by(Delivery.id).populate_existing().all())
    # Detach them so the per-row commits do not expire what the renderer reads.
    db.session.expunge_all()
    db.session.commit()
    return rows


def deliver_batch(group: str, worker_id: str, counts: Counter | None = None) -> int:
    """Claim and send one batch of `group` rows; returns how many rows were claimed."""
    counts = counts if counts is not None else Counter()
    app = current_app._get_current_object()
    lease = lease_seconds()
    ids = outbox.claim_batch(worker_id, (group,), batch_size(group), lease)
    if not ids:
        return 0
    channel = channel_for(app, group)(app)
    rows = _load(ids)
    with channel.batch():
        for row in rows:
            _deliver_one(app, channel, row, worker_id, lease, counts)
    return len(ids)


def _deliver_one(app, channel, row: Delivery, worker_id: str, lease: int, counts: Counter) -> None:
    if not outbox.begin_attempt(row.id, worker_id, lease):
        counts["lost_lease"] += 1
        return
    reason = suppression_reason(row)
    if reason:
        outbox.mark_failed(row.id, worker_id, reason, status="suppressed")
        counts["suppressed"] += 1
        return
    try:
        message = delivery_message(row)
        row.attempts += 1
        provider_id = channel.send(row, message)
    except DeliveryError as exc:
        _record_failure(app, row, worker_id, exc, counts)
        return
    except Exception as exc:  # a bug or an unexpected provider answer: keep the row, retry later
        app.logger.exception("delivery %s failed unexpectedly", row.id)
        _record_failure(app, row, worker_id, DeliveryError(f"{exc.__class__.__name__}: {exc}"), counts)
        return
    payload = None
    if channel.name == "log":
        payload = json.dumps({k: v for k, v in message.items() if k != "secret"}, ensure_ascii=False, default=str)
    if _record_despite_outage(lease, outbox.mark_sent, row.id, worker_id, provider_id, channel.name, payload):
        counts["sent"] += 1
    else:
        # A status callback finished the row first (or the lease was lost while sending).
        counts["sent_late"] += 1


def _record_despite_outage(lease: int, mark, *args) -> bool:
    """Record a send that happened even if the database blips: unrecorded, it would go out again.

    Retried while this worker's lease on the row lasts; `mark` only matches a row
    still claimed by this worker, so a row another worker took over is left alone.
    """
    deadline = time.monotonic() + lease * 0.8
    while True:
        try:
            return mark(*args)
        except DBAPIError as exc:
            db.session.rollback()
            if time.monotonic() > deadline or not (exc.connection_invalidated or isinstance(exc, OperationalError)):
                raise
            time.sleep(0.5)


def _record_failure(app, row: Delivery, worker_id: str, exc: DeliveryError, counts: Counter) -> None:
    now = utcnow()
    if exc.opted_out and row.subscriber_id:
        Subscriber.opt_out(row.subscriber_id)
        db.session.commit()
    if exc.permanent:
        outbox.mark_failed(row.id, worker_id, exc.message)
        counts["failed"] += 1
        return
    when = next_attempt(app, row.attempts, row.created_at, now, exc.retry_after)
    if when is None:
        outbox.mark_failed(row.id, worker_id, f"gave up after {row.attempts} attempts: {exc.message}")
        counts["failed"] += 1
    else:
        outbox.mark_retry(row.id, worker_id, exc.message, when)
        counts["retry"] += 1


def deliver_due(worker_id: str | None = None, time_budget: float | None = None,
                stop=None) -> Counter:
    """Send everything due now, channel by channel, until nothing is due or the budget is spent.

    Runs in a fresh app context, hence its own database session: the
    caller's objects are never detached or expired by the worker's commits.
    """
    app = current_app._get_current_object()
    with app.app_context():
        try:
            return _deliver_due(worker_id, time_budget, stop)
        finally:
            db.session.remove()


def _deliver_due(worker_id, time_budget, stop) -> Counter:
    worker_id = worker_id or worker_name()
    counts: Counter = Counter()
    started = time.monotonic()
    progress = True
    while progress:
        progress = False
        for group in CHANNEL_GROUPS:
            if stop is not None and stop.is_set():
                return counts
            if time_budget is not None and time.monotonic() - started > time_budget:
                counts["budget_exhausted"] += 1
                return counts
            if deliver_batch(group, worker_id, counts):
                progress = True
    return counts
