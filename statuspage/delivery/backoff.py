"""When to try a transient failure again."""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from ..settings import setting


def next_attempt(app, attempts: int, created_at: datetime, now: datetime,
                 retry_after: float | None = None) -> datetime | None:
    """Exponential backoff with full jitter; None once the retry horizon is passed.

    `attempts` counts tries so far (1 after the first failure).
    """
    base = setting("DELIVERY_RETRY_BASE_SECONDS", 30, app)
    cap = setting("DELIVERY_RETRY_MAX_SECONDS", 3600, app)
    horizon = float(app.config.get("DELIVERY_RETRY_HORIZON_SECONDS", 24 * 3600))
    ceiling = min(cap, base * (2 ** max(0, attempts - 1)))
    # Jitter spreads a burst of failures (an SMTP outage) so the recovery is not a stampede.
    delay = random.uniform(ceiling / 2, ceiling)
    if retry_after:
        delay = max(delay, min(retry_after, cap))
    when = now + timedelta(seconds=delay)
    if when > created_at + timedelta(seconds=horizon):
        return None
    return when
