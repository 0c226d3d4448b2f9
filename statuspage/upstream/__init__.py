"""Third-party status feeds shown as components of ours.

`poll_due` is the periodic job (embedded runner and Celery beat); `poll_all`
backs `flask poll-upstreams --once`; `poll_forever` runs a poller alone.
"""
from .poller import poll_all, poll_due, poll_forever

__all__ = ["poll_all", "poll_due", "poll_forever"]
