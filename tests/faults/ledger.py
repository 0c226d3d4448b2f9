"""What every fault test asserts: each targeted subscriber got exactly one message per channel,
counted where it lands (the SMTP sink, the Twilio double), or has a recorded permanent failure."""
from __future__ import annotations

import os
from collections import Counter
from urllib.parse import urlparse

from statuspage.models import Delivery

FINAL_FAILURES = ("failed", "suppressed")


def ledger(name: str, db, update, landed: list[str], expected: list[str]) -> dict:
    """Compare what landed with who was targeted; print the figures (the report quotes them)."""
    db.session.expire_all()
    rows = db.session.query(Delivery).filter_by(update_id=update.id).all()
    failed = {r.recipient for r in rows if r.status in FINAL_FAILURES}
    got = Counter(landed)
    figures = {
        "expected": len(expected),
        "sent": sum(1 for a in expected if got[a] >= 1),
        "duplicated": sum(n - 1 for a, n in got.items() if n > 1),
        "lost": sum(1 for a in expected if got[a] == 0 and a not in failed),
        "failed_recorded": len(failed),
        "stray": sum(n for a, n in got.items() if a not in expected),
        "rows_not_final": sum(1 for r in rows if r.status not in ("sent", "delivered", *FINAL_FAILURES)),
    }
    print(f"\n[faults] {name}: " + " ".join(f"{k}={v}" for k, v in figures.items()))
    return figures


def assert_exactly_once(figures: dict, failed: int = 0) -> None:
    assert figures["lost"] == 0, figures
    assert figures["duplicated"] == 0, figures
    assert figures["stray"] == 0, figures
    assert figures["rows_not_final"] == 0, figures
    assert figures["failed_recorded"] == failed, figures
    assert figures["sent"] + failed == figures["expected"], figures


def assert_nothing_lost_repeats_bounded(figures: dict, bound: int, messages: list[dict] | None = None) -> None:
    """A worker was killed: nothing lost, at most `bound` repeats (what it had on the wire without a record),
    and each repeat carries its first copy's Message-ID (`messages`: the SMTP sink's)."""
    assert figures["lost"] == 0, figures
    assert figures["stray"] == 0, figures
    assert figures["rows_not_final"] == 0, figures
    assert figures["duplicated"] <= bound, figures
    if messages is not None:
        ids: dict[str, set] = {}
        for m in messages:
            for rcpt in m["rcpt_tos"]:
                ids.setdefault(rcpt, set()).add(m["message"]["Message-ID"])
        assert all(len(found) == 1 for found in ids.values()), ids


def own_broker_db(url: str | None = None) -> tuple[str, int]:
    """The loopback Redis URL and db number this run may flush; refuses db 0 and anything not local."""
    url = url or os.environ.get("CELERY_BROKER_URL") or ""
    parsed = urlparse(url)
    if parsed.scheme != "redis" or parsed.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise RuntimeError(f"refusing to flush a broker that is not a loopback Redis: {url!r}")
    db_number = int((parsed.path or "/0").lstrip("/") or 0)
    if db_number == 0:
        raise RuntimeError("refusing to flush Redis db 0 (shared)")
    return url, db_number


def flush_own_broker_db() -> int:
    """FLUSHDB on this run's own broker db only; returns how many keys were dropped."""
    import redis

    url, db_number = own_broker_db()
    client = redis.Redis.from_url(url, socket_timeout=5)
    assert client.connection_pool.connection_kwargs.get("db") == db_number
    keys = client.dbsize()
    client.flushdb()
    return int(keys)
