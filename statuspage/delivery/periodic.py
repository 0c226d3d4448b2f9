"""Jobs a worker runs on a timer (the embedded thread, or Celery beat).

The jobs themselves belong to the layers above (fan-out, maintenance,
reminders, upstream polling); the entry points hand their list
(`statuspage.jobs.PERIODIC_JOBS`) to the runner, so delivery never imports
upwards. A job takes no arguments, runs inside an app context, commits its
own work, and is idempotent: two workers running it at once must not
double anything.
"""
from __future__ import annotations

import logging
import time
from typing import Callable, NamedTuple

from ..extensions import db

log = logging.getLogger(__name__)


class PeriodicJob(NamedTuple):
    name: str
    every_seconds: float
    run: Callable[[], object]


class PeriodicSchedule:
    """Runs jobs on their intervals; each job is idempotent, so a double run is harmless."""

    def __init__(self, jobs=()):
        self.jobs = list(jobs)
        self.next_run = {job.name: 0.0 for job in self.jobs}

    def run_due(self) -> None:
        now = time.monotonic()
        for job in self.jobs:
            if now < self.next_run[job.name]:
                continue
            self.next_run[job.name] = now + job.every_seconds
            try:
                job.run()
            except Exception:  # one failing job must not stop deliveries or the other jobs
                log.exception("periodic job %s failed", job.name)
                db.session.rollback()
