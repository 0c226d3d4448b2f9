"""A worker's hold on the rows it claimed: a heartbeat that renews their lease, and outcomes recorded in bulk.

The lease is short (DELIVERY_LEASE_SECONDS, 8 by default) and renewed every
third of it while the worker lives, so the rows of a worker that died are
claimable again within one lease. The worker checks `valid()` before each
send: it stops sending once it can no longer be sure its lease holds (the
database stopped answering the heartbeat), so a row another worker took over
is never on the wire from two workers at once.

Outcomes are written together, one UPDATE for up to DELIVERY_RECORD_EVERY
rows, at least every DELIVERY_RECORD_MS milliseconds, by the heartbeat thread
(on SQLite by the worker between sends, and by the heartbeat only while the
worker is stuck in a slow send). What a killed
worker sent but had not yet recorded is sent again by the worker that takes
its rows over, with the same Message-ID: at most one batch per killed worker.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import Counter

from sqlalchemy.exc import DBAPIError, OperationalError

from . import outbox
from .outbox import Outcome

log = logging.getLogger(__name__)

# How long a worker keeps trying to record sends it made while the database is away.
RECORD_PATIENCE_SECONDS = 60.0


class LeaseKeeper:
    """Heartbeat and outcome buffer of one worker (one per `deliver_due` run)."""

    def __init__(self, engine, worker_id: str, lease_seconds: float, record_every: int = 200,
                 record_ms: float = 200.0):
        self.engine = engine
        self.worker_id = worker_id
        self.lease_seconds = float(lease_seconds)
        self.record_every = max(1, int(record_every))
        self.record_seconds = max(0.0, record_ms / 1000.0)
        # SQLite has one writer at a time: a second thread writing beside the claims would make both wait
        # on its busy timeout, so there the sender writes its outcomes itself, between sends.
        self.write_in_sender = engine.dialect.name == "sqlite"
        # Stop sending a quarter of a lease before it could run out.
        self.margin = self.lease_seconds / 4
        self.valid_until = 0.0
        self.pending: list[tuple[Outcome, str]] = []
        self.pending_since: float | None = None
        # What the run did, by outcome ("sent", "retry", "failed", "suppressed", "released"), counted once
        # recorded; "sent_late" is a send a status callback finished first, "lost_lease" a row taken over.
        self.counts: Counter = Counter()
        self.lock = threading.Lock()  # guards `pending`
        self.write_lock = threading.Lock()  # one writer at a time (the heartbeat or the worker)
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    # -- the lease ---------------------------------------------------------
    def claimed(self, started: float) -> None:
        """A claim committed that was started at monotonic `started`: its lease holds until then + lease."""
        self.valid_until = max(self.valid_until, started + self.lease_seconds - self.margin)
        if self.thread is None:
            self.thread = threading.Thread(target=self._beat, name=f"lease-{self.worker_id}", daemon=True)
            self.thread.start()

    def valid(self) -> bool:
        return time.monotonic() < self.valid_until

    def _beat(self) -> None:
        interval = self.lease_seconds / 3
        next_renewal = time.monotonic() + interval
        while not self.stopping.wait(min(interval, 0.05)):
            now = time.monotonic()
            since = self.pending_since
            # Writing in the sender's thread (SQLite): here only when the sender is stuck in a slow send.
            patience = self.record_seconds * (4 if self.write_in_sender else 1)
            if since is not None and (now - since >= patience or
                                      (not self.write_in_sender and len(self.pending) >= self.record_every)):
                self._try_flush()
            if now >= next_renewal:
                next_renewal = now + interval
                self._renew()

    def _renew(self) -> None:
        started = time.monotonic()
        try:
            with self.engine.begin() as conn:
                outbox.renew_leases(conn, self.worker_id, self.lease_seconds)
        except Exception:  # the database is away: the lease runs down and the worker stops sending
            log.warning("lease renewal for %s failed", self.worker_id, exc_info=True)
            return
        self.valid_until = max(self.valid_until, started + self.lease_seconds - self.margin)

    # -- outcomes ----------------------------------------------------------
    def add(self, outcome: Outcome, count_as: str) -> None:
        """Queue an outcome; the heartbeat thread writes it within record_ms (the sender does not wait)."""
        with self.lock:
            if not self.pending:
                self.pending_since = time.monotonic()
            self.pending.append((outcome, count_as))
            count, since = len(self.pending), self.pending_since
        if self.write_in_sender:
            if count >= self.record_every or time.monotonic() - since >= self.record_seconds:
                self.flush()
        elif count >= 4 * self.record_every or self.thread is None:  # the writer fell behind, or there is none
            self.flush()

    def flush(self) -> None:
        """Write what is pending; keeps trying through a database outage (unrecorded sends would go out again)."""
        deadline = time.monotonic() + max(RECORD_PATIENCE_SECONDS, self.lease_seconds)
        while True:
            try:
                self._flush_once()
                return
            except DBAPIError as exc:
                if time.monotonic() > deadline or not (exc.connection_invalidated or isinstance(exc, OperationalError)):
                    raise
                time.sleep(0.5)

    def _try_flush(self) -> None:
        try:
            self._flush_once()
        except Exception:
            log.warning("recording outcomes for %s failed; will retry", self.worker_id, exc_info=True)

    def _flush_once(self) -> None:
        with self.write_lock:
            with self.lock:
                batch, self.pending, self.pending_since = self.pending, [], None
            if not batch:
                return
            try:
                with self.engine.begin() as conn:
                    done = outbox.record_outcomes(conn, self.worker_id, [o for o, _ in batch])
            except Exception:
                with self.lock:  # keep them for the next try, oldest first
                    self.pending = batch + self.pending
                    self.pending_since = time.monotonic()
                raise
            for outcome, count_as in batch:
                if outcome.id in done:
                    self.counts[count_as] += 1
                else:
                    self.counts["sent_late" if count_as == "sent" else "lost_lease"] += 1

    def stop(self) -> None:
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(10)
            self.thread = None
