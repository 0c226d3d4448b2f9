"""The one delivery function both runners use: claim a batch, send each row, record the outcomes in bulk.

A batch is claimed and marked sending in one statement; its outcomes are
written one UPDATE per DELIVERY_RECORD_EVERY rows or DELIVERY_RECORD_MS
milliseconds (lease.LeaseKeeper). Email to a notice's subscribers goes out
as prepared bytes (prepared.py) over one SMTP connection per worker.

Exactly once, and its bound: a row is sent only while this worker knows its
lease holds (lease.LeaseKeeper.valid), so two live workers never have the
same row on the wire, and a batch's outcomes are all written before the next
batch is claimed. A worker killed mid-batch leaves the rows it sent but had
not yet recorded to be sent again by the worker that takes them over, with
the same Message-ID: at most one batch per killed worker (DELIVERY_BATCH_SIZE,
sized to about 1.5 s of sending), in practice what it sent in its last
DELIVERY_RECORD_MS.
"""
from __future__ import annotations

import json
import os
import socket
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..channels import CHANNELS, DeliveryError, channel_for
from ..channels.email import EmailChannel
from ..extensions import db
from ..models import Delivery, Incident, IncidentUpdate, Subscriber, Tenant, utcnow
from ..notices import delivery_message
from ..settings import setting
from . import outbox
from .backoff import next_attempt
from .lease import LeaseKeeper
from .outbox import Outcome
from .prepared import PreparedEmails

CHANNEL_GROUPS = tuple(CHANNELS)
PROBE_SECONDS = 2.0
BATCH_SECONDS = 1.5
MIN_BATCH = 20
# The first batch of a run, before its rate is known: small, so it cannot hold rows for long.
FIRST_BATCH = 100


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def lease_seconds() -> float:
    return setting("DELIVERY_LEASE_SECONDS", 8)


def batch_size(group: str) -> int:
    size = int(setting("DELIVERY_BATCH_SIZE", 500))
    if group == "sms":
        # Never claim more than the rate ceiling sends in a few seconds: the rest stays for other workers.
        rate = float(current_app.config.get("SMS_RATE_PER_SECOND") or 1.0)
        return max(1, min(size, int(rate * 5)))
    return size


def suppression_reason(row: Delivery) -> str | None:
    """Why a queued notice must not go out any more, re-checked right before sending."""
    if row.kind != "update":
        return None
    sub = row.subscriber
    update = row.update
    incident = update.incident if update is not None else None
    return _suppressed(sub is not None, sub is not None and sub.deleted_at is not None, sub is not None and sub.opted_out,
                       sub is not None and sub.confirmed, update is not None,
                       incident is not None and incident.deleted_at is not None,
                       incident is not None and incident.draft)


def _suppressed(has_sub, sub_deleted, opted_out, confirmed, has_update, incident_deleted, draft) -> str | None:
    if not has_sub or sub_deleted:
        return "the subscriber was deleted"
    if opted_out:
        return "the subscriber opted out"
    if not confirmed:
        return "the subscriber is not confirmed"
    if not has_update:
        return "the update was deleted"
    if incident_deleted:
        return "the incident was deleted"
    if draft:
        return "the incident is a draft again"
    return None


_d, _s, _u, _i, _t = (Delivery.__table__, Subscriber.__table__, IncidentUpdate.__table__, Incident.__table__,
                      Tenant.__table__)
# What the email hot path reads per row: one query per batch, no ORM objects.
EMAIL_ROWS = (
    select(_d.c.id, _d.c.kind, _d.c.recipient, _d.c.attempts, _d.c.created_at, _d.c.update_id, _d.c.subscriber_id,
           _s.c.id.label("sub_present"), _s.c.token, _s.c.locale, _s.c.tenant_id, _s.c.opted_out, _s.c.confirmed,
           _s.c.deleted_at.label("sub_deleted_at"), _u.c.id.label("update_present"),
           _u.c.updated_at.label("update_updated_at"), _i.c.id.label("incident_id"),
           _i.c.updated_at.label("incident_updated_at"), _i.c.deleted_at.label("incident_deleted_at"), _i.c.draft,
           _t.c.updated_at.label("tenant_updated_at"))
    .select_from(_d.outerjoin(_s, _s.c.id == _d.c.subscriber_id).outerjoin(_u, _u.c.id == _d.c.update_id)
                 .outerjoin(_i, _i.c.id == _u.c.incident_id).outerjoin(_t, _t.c.id == _s.c.tenant_id))
)


class DeliveryRun:
    """One worker's run: its lease keeper, one channel instance per kind (connections kept), its counts."""

    def __init__(self, app, worker_id: str):
        self.app = app
        self.worker_id = worker_id
        self.lease = lease_seconds()
        self.keeper = LeaseKeeper(db.engine, worker_id, self.lease,
                                  record_every=int(setting("DELIVERY_RECORD_EVERY", 200)),
                                  record_ms=setting("DELIVERY_RECORD_MS", 200))
        self.channels: dict[str, object] = {}
        # Rows per batch, per kind: sized to about BATCH_SECONDS of sending at the rate measured so far, so a
        # dead worker's expired rows are picked up by the next claim soon, whatever the machine's speed.
        self.sizes: dict[str, int] = {}
        self.pools: dict[str, ThreadPoolExecutor] = {}
        self.prepared: PreparedEmails | None = None
        self.counts = self.keeper.counts

    def channel(self, group: str):
        if group not in self.channels:
            self.channels[group] = channel_for(self.app, group)(self.app)
        return self.channels[group]

    def close(self) -> None:
        try:
            self.keeper.flush()
        finally:
            self.keeper.stop()
            for pool in self.pools.values():
                pool.shutdown(wait=True)
            for channel in self.channels.values():
                close = getattr(channel, "close", None)
                if close is not None:
                    close()

    def batch(self, group: str) -> int:
        """Claim and send one batch of `group` rows; returns how many rows were claimed."""
        started = time.monotonic()
        limit = batch_size(group)
        ids = outbox.claim_batch(self.worker_id, (group,), min(limit, self.sizes.get(group, FIRST_BATCH)), self.lease)
        if not ids:
            return 0
        self.keeper.claimed(started)
        channel = self.channel(group)
        with channel.batch():
            if isinstance(channel, EmailChannel):
                self._email_batch(channel, ids)
            else:
                self._generic_batch(channel, ids)
        # Nothing of this batch stays unwritten when the next is claimed: what a killed worker can have
        # sent without a record is at most its current batch.
        self.keeper.flush()
        rate = len(ids) / max(0.001, time.monotonic() - started)
        self.sizes[group] = max(MIN_BATCH, min(limit, int(rate * BATCH_SECONDS)))
        return len(ids)

    # -- email to subscribers: prepared bytes ----------------------------------
    def _email_batch(self, channel: EmailChannel, ids: list[int]) -> None:
        if self.prepared is None or self.prepared.channel is not channel:
            self.prepared = PreparedEmails(self.app, channel)
        rows = db.session.execute(EMAIL_ROWS.where(_d.c.id.in_(ids)).order_by(_d.c.id)).all()
        db.session.commit()
        full = []
        for n, row in enumerate(rows):
            if not self.keeper.valid():
                self._give_back([r.id for r in rows[n:]] + [r.id for r in full])
                return
            if row.kind != "update":
                full.append(row)
                continue
            reason = _suppressed(row.sub_present is not None, row.sub_deleted_at is not None, row.opted_out,
                                 row.confirmed, row.update_present is not None,
                                 row.incident_deleted_at is not None, row.draft)
            if reason:
                self.keeper.add(Outcome(row.id, "suppressed", error=reason), "suppressed")
                continue
            if channel.unreachable is not None:  # the server is down: no use preparing bytes for it
                self._failed(row.id, row.subscriber_id, row.attempts, row.created_at, channel.unreachable)
                continue
            prepared = self.prepared.bytes_for(row)
            if prepared is None:
                full.append(row)
                continue
            message_id, data = prepared
            try:
                channel.send_bytes(row.recipient, data, row.id)
            except DeliveryError as exc:
                self._failed(row.id, row.subscriber_id, row.attempts, row.created_at, exc)
                continue
            self.keeper.add(Outcome(row.id, "sent", provider_id=message_id, channel=channel.name), "sent")
        if full:
            self._generic_batch(channel, [r.id for r in full])

    # -- everything else: rendered and sent row by row -------------------------
    def _generic_batch(self, channel, ids: list[int]) -> None:
        rows = (db.session.query(Delivery)
                .options(joinedload(Delivery.subscriber),
                         joinedload(Delivery.update).joinedload(IncidentUpdate.incident)
                         .selectinload(Incident.affected))
                .filter(Delivery.id.in_(ids)).order_by(Delivery.id).populate_existing().all())
        db.session.commit()
        if getattr(channel, "send_concurrency", 1) > 1 and len(rows) > 1:
            self._concurrent_batch(channel, rows)
            return
        for n, row in enumerate(rows):
            if not self.keeper.valid():
                self._give_back([r.id for r in rows[n:]])
                return
            self._send_one(channel, row)

    def _concurrent_batch(self, channel, rows: list[Delivery]) -> None:
        """Render here, send from `channel.send_concurrency` threads (each waits for its rate slot), record here.

        Only the provider call leaves this thread: the database and the ORM rows stay with it.
        """
        pool = self.pools.get(channel.name)
        if pool is None:
            pool = self.pools[channel.name] = ThreadPoolExecutor(channel.send_concurrency,
                                                                 thread_name_prefix=f"send-{channel.name}")
        in_flight = []
        for n, row in enumerate(rows):
            if not self.keeper.valid():
                self._give_back([r.id for r in rows[n:]])
                break
            reason = suppression_reason(row)
            if reason:
                self.keeper.add(Outcome(row.id, "suppressed", error=reason), "suppressed")
                continue
            try:
                message = delivery_message(row)
            except Exception as exc:  # a bug in rendering: keep the row, retry later
                self.app.logger.exception("delivery %s failed unexpectedly", row.id)
                self._failed(row.id, row.subscriber_id, row.attempts, row.created_at,
                             DeliveryError(f"{exc.__class__.__name__}: {exc}"))
                continue
            target = SimpleNamespace(id=row.id, recipient=row.recipient, kind=row.kind)
            facts = (row.id, row.subscriber_id, row.attempts, row.created_at)
            in_flight.append((facts, pool.submit(channel.send, target, message)))
            while len(in_flight) > 4 * channel.send_concurrency:
                self._collect(channel, *in_flight.pop(0))
        for facts, future in in_flight:
            self._collect(channel, facts, future)

    def _collect(self, channel, facts: tuple, future) -> None:
        row_id, subscriber_id, attempts, created_at = facts
        try:
            provider_id = future.result()
        except DeliveryError as exc:
            self._failed(row_id, subscriber_id, attempts, created_at, exc)
            return
        except Exception as exc:  # an unexpected provider answer: keep the row, retry later
            self.app.logger.exception("delivery %s failed unexpectedly", row_id)
            self._failed(row_id, subscriber_id, attempts, created_at, DeliveryError(f"{exc.__class__.__name__}: {exc}"))
            return
        self.keeper.add(Outcome(row_id, getattr(channel, "sent_status", "sent"), provider_id=provider_id,
                                channel=channel.name), "sent")

    def _send_one(self, channel, row: Delivery) -> None:
        reason = suppression_reason(row)
        if reason:
            self.keeper.add(Outcome(row.id, "suppressed", error=reason), "suppressed")
            return
        try:
            message = delivery_message(row)
            provider_id = channel.send(row, message)
        except DeliveryError as exc:
            self._failed(row.id, row.subscriber_id, row.attempts, row.created_at, exc)
            return
        except Exception as exc:  # a bug or an unexpected provider answer: keep the row, retry later
            self.app.logger.exception("delivery %s failed unexpectedly", row.id)
            self._failed(row.id, row.subscriber_id, row.attempts, row.created_at,
                         DeliveryError(f"{exc.__class__.__name__}: {exc}"))
            return
        payload = None
        if channel.name == "log":
            payload = json.dumps({k: v for k, v in message.items() if k != "secret"}, ensure_ascii=False,
                                 default=str)
        status = getattr(channel, "sent_status", "sent")
        self.keeper.add(Outcome(row.id, status, provider_id=provider_id, channel=channel.name, payload=payload),
                        "sent")

    def _failed(self, row_id: int, subscriber_id, attempts: int, created_at, exc: DeliveryError) -> None:
        if exc.opted_out and subscriber_id:
            Subscriber.opt_out(subscriber_id)
            db.session.commit()
        if exc.disabled and subscriber_id:
            Subscriber.disable(subscriber_id, exc.message)
            db.session.commit()
        if exc.permanent:
            self.keeper.add(Outcome(row_id, "failed", error=exc.message), "failed")
            return
        when = next_attempt(self.app, attempts, created_at, utcnow(), exc.retry_after)
        if when is None:
            self.keeper.add(Outcome(row_id, "failed", error=f"gave up after {attempts} attempts: {exc.message}"),
                            "failed")
        else:
            self.keeper.add(Outcome(row_id, "queued", error=exc.message, next_at=when), "retry")

    def _give_back(self, ids: list[int]) -> None:
        """Our lease may be lapsing (the database stopped answering): hand the untried rows back."""
        for row_id in ids:
            self.keeper.add(Outcome(row_id, "queued", attempts_delta=-1), "released")


def deliver_batch(group: str, worker_id: str, counts: Counter | None = None) -> int:
    """Claim and send one batch of `group` rows in a run of its own; returns how many rows were claimed."""
    run = DeliveryRun(current_app._get_current_object(), worker_id)
    try:
        return run.batch(group)
    finally:
        run.close()
        if counts is not None:
            counts.update(run.counts)


def deliver_due(worker_id: str | None = None, time_budget: float | None = None,
                stop=None) -> Counter:
    """Send everything due now, channel by channel, until nothing is due or the budget is spent.

    Runs in a fresh app context, hence its own database session: the
    caller's objects are never detached or expired by the worker's commits.
    """
    app = current_app._get_current_object()
    with app.app_context():
        run = DeliveryRun(app, worker_id or worker_name())
        try:
            _deliver_due(run, time_budget, stop)
        finally:
            try:
                run.close()
            finally:
                db.session.remove()
        return Counter({k: v for k, v in run.counts.items() if v})


def _deliver_due(run: DeliveryRun, time_budget, stop) -> None:
    started = time.monotonic()
    # An empty claim costs a locking query: a kind that had nothing due is looked at again only every
    # PROBE_SECONDS while other kinds keep the worker busy, and once more before the run ends.
    idle: dict[str, float] = {}
    while True:
        now = time.monotonic()
        groups = [g for g in CHANNEL_GROUPS if g not in idle or now - idle[g] >= PROBE_SECONDS]
        progress = False
        for group in groups:
            if stop is not None and stop.is_set():
                return
            if time_budget is not None and time.monotonic() - started > time_budget:
                run.counts["budget_exhausted"] += 1
                return
            if run.batch(group):
                progress = True
                idle.pop(group, None)
            else:
                idle[group] = time.monotonic()
        if progress:
            continue
        if len(groups) < len(CHANNEL_GROUPS):
            idle.clear()
            continue
        return
