"""Jobs the worker runs on a timer (embedded thread, or Celery beat).

Each entry: (name, every_seconds, "module:function"). A function takes no
arguments, runs inside an app context, commits its own work, and is
idempotent: two workers running it at once must not double anything.
"""
from __future__ import annotations

import importlib

PERIODIC_JOBS: list[tuple[str, int, str]] = [
    ("maintenance-transitions", 15, "statuspage.services.maintenance:advance_due"),
    ("stale-incident-reminders", 60, "statuspage.services.staleness:remind_stale"),
    ("upstream-poll", 15, "statuspage.upstream:poll_due"),
]


def resolve(target: str):
    """The callable for "module:function", or None when that part is not installed."""
    module_name, _, func_name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    return getattr(module, func_name, None)
