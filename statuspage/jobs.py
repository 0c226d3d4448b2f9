"""The periodic jobs, named once for both runners (the embedded thread and Celery beat).

An entry module: it may import services, and hands the list down to the
delivery runner, which knows nothing of what the jobs do.
"""
from __future__ import annotations

from .delivery.periodic import PeriodicJob
from .services.fanout import run_pending_fanouts
from .services.incident_response import remind_checks
from .services.maintenance import advance_due
from .services.review import remind_overdue
from .services.staleness import remind_stale
from .upstream import poll_due

# A fan-out too big to write inside the admin's request is written here, a second after it is posted.
DEFERRED_FANOUT = PeriodicJob("deferred-fanout", 1, run_pending_fanouts)

PERIODIC_JOBS: list[PeriodicJob] = [
    DEFERRED_FANOUT,
    PeriodicJob("maintenance-transitions", 15, advance_due),
    PeriodicJob("stale-incident-reminders", 60, remind_stale),
    # Status checks of open sev1/sev2 incidents: remind the lead, escalate after missed checks.
    PeriodicJob("status-checks", 15, remind_checks),
    PeriodicJob("overdue-action-items", 300, remind_overdue),
    PeriodicJob("upstream-poll", 15, poll_due),
]


def job_named(name: str) -> PeriodicJob | None:
    return next((job for job in PERIODIC_JOBS if job.name == name), None)
