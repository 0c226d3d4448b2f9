"""Runners for the embedded default: a thread in the web process, `flask deliver`, `deliver --drain`.

Single-runner guard: the embedded thread takes an exclusive file lock in the
instance folder before it works, so of several gunicorn workers on one
machine only one drains the outbox (the others wait to take over if it
dies). Correctness does not depend on the lock: every claim is an atomic
conditional UPDATE (SQLite's write lock; FOR UPDATE SKIP LOCKED on
PostgreSQL), so `flask deliver` next to a web process is safe as well.
"""
from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from collections import Counter
from pathlib import Path

from ..extensions import db
from . import outbox
from .periodic import PeriodicSchedule
from .worker import deliver_due, worker_name

log = logging.getLogger(__name__)
IDLE_SECONDS = 2.0
LOCK_RETRY_SECONDS = 2.0

_started: dict[int, threading.Thread] = {}
_wake = threading.Event()


def _wake_up(_rows: int = 1) -> None:
    _wake.set()


def drain_outbox(before_each_pass=(), wait_for_held: bool = True, poll_seconds: float = 0.5) -> dict:
    """Send everything due now; returns counts. Retries not yet due are left for later.

    With `wait_for_held`, rows another worker holds under its lease are waited
    for: a live worker finishes them, a dead one's lease runs out and this
    drain takes them over, so it never returns while a gone worker holds rows.
    `before_each_pass`: callables run before each pass (the CLI passes the
    deferred fan-out, so rows still to be written are sent too).
    """
    totals: Counter = Counter()
    worker_id = worker_name()
    idle_passes = 0
    while True:
        for prepare in before_each_pass:
            prepare()
        counts = deliver_due(worker_id)
        totals.update(counts)
        state = outbox.outbox_progress()
        if wait_for_held and state["held"]:
            idle_passes = 0
            wait = outbox.next_due_in()
            time.sleep(min(poll_seconds, max(0.05, wait if wait is not None else poll_seconds)))
            continue
        # A pass that only scheduled retries ends the drain: those rows wait for their backoff.
        finished = any(counts[k] for k in ("sent", "failed", "suppressed", "sent_late", "lost_lease", "released"))
        if state["due"] and (finished or (not counts and idle_passes < 3)):
            idle_passes = 0 if counts else idle_passes + 1
            continue
        break
    return {k: v for k, v in totals.items() if v}


def run_loop(stop: threading.Event, jobs=()) -> None:
    """Run due periodic jobs, deliver, sleep until woken or the next row is due."""
    outbox._install_commit_hook()
    if _wake_up not in outbox.WAKEUP_CALLBACKS:
        outbox.WAKEUP_CALLBACKS.append(_wake_up)
    schedule = PeriodicSchedule(jobs)
    worker_id = worker_name()
    while not stop.is_set():
        _wake.clear()
        try:
            schedule.run_due()
            deliver_due(worker_id, time_budget=30, stop=stop)
            wait = outbox.next_due_in()
        except Exception:  # the database restarting, say: back off and try again
            log.exception("delivery loop error")
            db.session.rollback()
            wait = 5.0
        finally:
            db.session.remove()
        timeout = IDLE_SECONDS if wait is None else min(IDLE_SECONDS, max(0.05, wait))
        _wake.wait(timeout)


def run_forever(jobs=()) -> None:
    """`flask deliver`: the worker in the foreground until interrupted."""
    stop = threading.Event()
    try:
        run_loop(stop, jobs)
    except KeyboardInterrupt:
        stop.set()


def _guarded_loop(app, stop: threading.Event, jobs) -> None:
    lock_path = Path(app.instance_path) / "delivery-worker.lock"
    with app.app_context():
        while not stop.is_set():
            with open(lock_path, "a+") as lock:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    stop.wait(LOCK_RETRY_SECONDS)  # another process owns the outbox; take over if it goes away
                    continue
                lock.seek(0)
                lock.truncate()
                lock.write(str(os.getpid()))
                lock.flush()
                run_loop(stop, jobs)


def start_embedded_worker(app, jobs=()) -> threading.Thread | None:
    """Start the in-process worker once per process (called by create_app when serving with no broker)."""
    if os.environ.get("WERKZEUG_RUN_MAIN") is None and app.debug and os.environ.get("FLASK_RUN_FROM_CLI"):
        return None  # the reloader's parent process: the child runs the worker
    key = os.getpid()
    if key in _started and _started[key].is_alive():
        return _started[key]
    stop = threading.Event()
    thread = threading.Thread(target=_guarded_loop, args=(app, stop, jobs), name="statuspage-delivery", daemon=True)
    thread.stop_event = stop  # type: ignore[attr-defined]
    thread.start()
    _started[key] = thread
    return thread
