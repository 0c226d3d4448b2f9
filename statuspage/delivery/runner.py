"""Runners for the embedded default (a delivery process beside the web process), `flask deliver`, `deliver --drain`.

Embedded default: a thread in the web process takes an exclusive file lock
in the instance folder, runs the periodic jobs and starts one delivery
process (a fork of the web process, niced, killed with it) that drains the
outbox; so of several gunicorn workers on one machine only one drains it
(the others wait to take over if it dies), and sending never competes with
page serving for the web process's GIL. DELIVERY_PROCESS=False keeps the
older single thread. Correctness does not depend on the lock: every claim is an atomic
conditional UPDATE (SQLite's write lock; FOR UPDATE SKIP LOCKED on
PostgreSQL), so `flask deliver` next to a web process is safe as well.
"""
from __future__ import annotations

import ctypes
import fcntl
import logging
import os
import select
import signal
import threading
import time
from collections import Counter
from pathlib import Path

from ..extensions import db
from ..settings import setting
from . import outbox
from .periodic import PeriodicSchedule
from .worker import deliver_due, worker_name

log = logging.getLogger(__name__)
IDLE_SECONDS = 2.0
LOCK_RETRY_SECONDS = 2.0
CHILD_CHECK_SECONDS = 0.5
PR_SET_PDEATHSIG = 1

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


def run_loop(stop: threading.Event, jobs=(), wake_fd: int | None = None) -> None:
    """Run due periodic jobs, deliver, sleep until woken or the next row is due.

    `wake_fd`: the read end of the pipe a parent process writes to when it queued work (the delivery process).
    """
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
        if wake_fd is None:
            _wake.wait(timeout)
        elif select.select([wake_fd], [], [], timeout)[0]:
            os.read(wake_fd, 4096)


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
                if setting("DELIVERY_PROCESS", 1, app) and hasattr(os, "fork"):
                    _supervise_delivery_process(app, stop, jobs)
                else:
                    run_loop(stop, jobs)


def _supervise_delivery_process(app, stop: threading.Event, jobs) -> None:
    """The periodic jobs run here; the sending runs in a child process of this one, restarted if it dies.

    A separate process, so a big notice never holds this process's GIL while it
    serves pages, and at a lower CPU priority (DELIVERY_PROCESS_NICE), so under
    a surge the web process is served first. The child dies with this process.
    """
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)

    def wake_child(_rows: int = 1) -> None:
        try:
            os.write(wake_w, b"w")
        except (BlockingIOError, OSError):  # the pipe is full: the child has wake-ups enough
            pass

    outbox._install_commit_hook()
    outbox.WAKEUP_CALLBACKS.append(wake_child)
    schedule = PeriodicSchedule(jobs)
    child = None
    try:
        while not stop.is_set():
            if child is None or os.waitpid(child, os.WNOHANG)[0]:
                if child is not None:
                    log.warning("the delivery process %s ended; starting another", child)
                child = _fork_delivery_process(app, wake_r)
            try:
                schedule.run_due()
            except Exception:  # pragma: no cover - run_due logs each job's failure itself
                log.exception("periodic jobs failed")
            finally:
                db.session.remove()
            stop.wait(CHILD_CHECK_SECONDS)
    finally:
        outbox.WAKEUP_CALLBACKS.remove(wake_child)
        if child is not None:
            _stop_child(child)
        os.close(wake_r)
        os.close(wake_w)


def _fork_delivery_process(app, wake_fd: int) -> int:
    parent = os.getpid()
    pid = os.fork()
    if pid:
        return pid
    code = 0
    try:
        _die_with_parent(parent)
        os.nice(int(setting("DELIVERY_PROCESS_NICE", 3, app)))
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        with app.app_context():
            db.engine.dispose(close=False)  # the parent's connections stay the parent's
            run_loop(stop, (), wake_fd=wake_fd)
    except BaseException:
        log.exception("delivery process failed")
        code = 1
    finally:
        os._exit(code)


def _die_with_parent(parent: int) -> None:
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except Exception:  # not Linux: the heartbeat-less rows of an orphan are taken over after their lease
        pass
    if os.getppid() != parent:
        os._exit(0)


def _stop_child(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if os.waitpid(pid, os.WNOHANG)[0]:
            return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


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
