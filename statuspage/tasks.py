"""Celery entry module: `celery -A statuspage.tasks worker`."""
from __future__ import annotations


def init_celery(app) -> None:
    return None
