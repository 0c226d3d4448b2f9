"""Celery entry module: `celery -A statuspage.tasks worker` (add `-B`, or run `celery beat`, for the timers).

The broker carries only wake-ups: the database is the source of truth, so a
lost or repeated task changes nothing. Tasks are idempotent (they claim rows
with the same leased, conditional UPDATE as the embedded runner) and run in
an app context. A worker process builds its Flask app lazily on its first
task; nothing is created at import time but the Celery object.
"""
from __future__ import annotations

import os

from celery import Celery, Task
from celery.signals import worker_ready

from .delivery import outbox
from .delivery.worker import deliver_due
from .jobs import PERIODIC_JOBS, job_named
from .ratelimit import redis_client
from .services.fanout import run_pending_fanouts

# Longer than any countdown we schedule (backoff caps at DELIVERY_RETRY_MAX_SECONDS),
# so Redis never re-delivers a wake-up that is merely waiting for its ETA.
VISIBILITY_TIMEOUT = 4 * 3600
SWEEP_SECONDS = 30
MAX_COUNTDOWN = 3600

_flask_app = None


class FlaskTask(Task):
    """Every task body runs inside the Flask app's context."""

    abstract = True

    def __call__(self, *args, **kwargs):
        app = flask_app()
        with app.app_context():
            return self.run(*args, **kwargs)


celery = Celery("statuspage", task_cls=FlaskTask)
app = celery  # `celery -A statuspage.tasks` finds either name


def _configure(broker: str | None, periodic_jobs=None) -> None:
    jobs = periodic_jobs if periodic_jobs is not None else PERIODIC_JOBS
    schedule = {"delivery-sweep": {"task": "statuspage.tasks.sweep", "schedule": float(SWEEP_SECONDS)}}
    for name, every, _run in jobs:
        schedule[f"periodic-{name}"] = {"task": "statuspage.tasks.run_periodic", "schedule": float(every),
                                        "args": (name,)}
    celery.conf.update(
        broker_url=broker,
        task_ignore_result=True,
        result_backend=None,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_transport_options={"visibility_timeout": VISIBILITY_TIMEOUT},
        broker_connection_retry_on_startup=True,
        task_default_queue="statuspage",
        beat_schedule=schedule,
        timezone="UTC",
    )


_configure(os.environ.get("CELERY_BROKER_URL") or None)


def flask_app():
    """The app this worker serves: the one init_celery was given, else one built from the environment."""
    global _flask_app
    if _flask_app is None:
        from .app import create_app  # deferred: the factory imports this module (init_celery)

        _flask_app = create_app()
    return _flask_app


def init_celery(flask) -> Celery:
    """Bind Celery to a Flask app (create_app calls this when CELERY_BROKER_URL is set)."""
    global _flask_app
    _configure(flask.config["CELERY_BROKER_URL"])
    _flask_app = flask
    flask.extensions["celery"] = celery
    outbox._install_commit_hook()
    if _send_wakeups not in outbox.WAKEUP_CALLBACKS:
        outbox.WAKEUP_CALLBACKS.append(_send_wakeups)
    return celery


def _send_wakeups(rows: int) -> None:
    """After a commit that queued `rows` rows: enough wake-ups for the workers to share them."""
    batch = 100
    tasks = max(1, min(8, -(-rows // batch)))
    for _ in range(tasks):
        deliver.apply_async(retry=False)


@celery.task(name="statuspage.tasks.deliver")
def deliver(time_budget: float = 60.0) -> dict:
    """Drain due rows for up to `time_budget` seconds; re-enqueue itself while work remains."""
    _mark_busy(time_budget + 30)
    run_pending_fanouts()  # a deferred fan-out is written before its rows are looked for
    counts = deliver_due(time_budget=time_budget)
    if counts.get("budget_exhausted"):
        deliver.apply_async(retry=False)  # a continuation: one successor per task, ends when the work does
    else:
        wait = outbox.next_due_in()
        if wait is not None:
            # A retry waiting for its backoff: one timed wake-up for all workers (the sweeper is the safety net).
            countdown = min(MAX_COUNTDOWN, max(1.0, wait))
            if _first_to_schedule("deliver-timer", countdown):
                deliver.apply_async(countdown=countdown, retry=False)
    return dict(counts)


def _redis():
    try:
        return redis_client(flask_app())
    except Exception:
        return None


def _first_to_schedule(name: str, seconds: float) -> bool:
    """True for one caller per `seconds` across all workers (always True without Redis)."""
    client = _redis()
    if client is None:
        return True
    try:
        return bool(client.set(f"statuspage:{name}", "1", nx=True, ex=max(1, int(seconds))))
    except Exception:
        return True


def _mark_busy(seconds: float) -> None:
    client = _redis()
    if client is not None:
        try:
            client.set("statuspage:deliver-busy", "1", ex=max(1, int(seconds)))
        except Exception:
            pass


def _workers_busy() -> bool:
    client = _redis()
    try:
        return bool(client is not None and client.exists("statuspage:deliver-busy"))
    except Exception:
        return False


@celery.task(name="statuspage.tasks.sweep")
def sweep() -> int:
    """Beat, every 30 s: finish deferred fan-outs and wake workers for due rows a lost task left behind."""
    run_pending_fanouts()
    due = outbox.due_count()
    # Workers already draining re-enqueue themselves; only wake them when none is at work.
    if due and not _workers_busy():
        _send_wakeups(due)
    return due


@celery.task(name="statuspage.tasks.run_periodic")
def run_periodic(name: str) -> bool:
    """One of PERIODIC_JOBS (the job itself is idempotent)."""
    job = job_named(name)
    if job is None:
        return False
    job.run()
    return True


@worker_ready.connect
def _kick_on_start(sender=None, **_kwargs) -> None:
    """A worker that starts (or restarts after a crash) looks at the outbox at once."""
    try:
        deliver.apply_async(retry=False)
    except Exception:  # the broker is down: beat's sweeper catches up later
        pass
