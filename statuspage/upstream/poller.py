"""When to fetch which feed, and what a fetch's outcome does to the feed's bookkeeping.

A feed is claimed by a conditional UPDATE of `next_fetch_at` (only the
worker whose UPDATE matched fetches it), the network I/O happens outside any
transaction, and the outcome is applied in one transaction afterwards.
"""
from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from ..cache import bump_site_version
from ..extensions import db
from ..models import UpstreamFeed, utcnow
from . import apply
from .fetch import Fetched, Limits, fetch
from .parse import ParseError, parse_feed, parse_summary

log = logging.getLogger(__name__)

MIN_INTERVAL = 30
# Backoff for a failing feed: at most this many times its interval.
MAX_BACKOFF_FACTOR = 8


def failures_before_unknown() -> int:
    return int(current_app.config.get("UPSTREAM_FAILURES_BEFORE_UNKNOWN", 3))


def claim_due(force: bool = False, limit: int = 50) -> list[int]:
    """Feed ids this worker now owns; another worker running at once claims none of them."""
    now = utcnow()
    due = select(UpstreamFeed.id, UpstreamFeed.interval_seconds).where(UpstreamFeed.deleted_at.is_(None))
    if not force:
        due = due.where(or_(UpstreamFeed.next_fetch_at.is_(None), UpstreamFeed.next_fetch_at <= now))
    rows = db.session.execute(due.order_by(UpstreamFeed.next_fetch_at, UpstreamFeed.id).limit(limit)).all()
    claimed = []
    for feed_id, interval in rows:
        claim = update(UpstreamFeed).where(UpstreamFeed.id == feed_id, UpstreamFeed.deleted_at.is_(None))
        if not force:
            claim = claim.where(or_(UpstreamFeed.next_fetch_at.is_(None), UpstreamFeed.next_fetch_at <= now))
        result = db.session.execute(claim.values(next_fetch_at=now + timedelta(seconds=max(interval, MIN_INTERVAL)))
                                    .execution_options(synchronize_session=False))
        db.session.commit()
        if result.rowcount == 1:
            claimed.append(feed_id)
    return claimed


def poll_feeds(feed_ids: list[int]) -> list[str]:
    """Fetch claimed feeds in parallel (slow providers overlap), then apply each outcome in turn."""
    targets = []
    for feed_id in feed_ids:
        feed = db.session.get(UpstreamFeed, feed_id)
        if feed is not None:
            targets.append((feed_id, feed.name, feed.url, feed.etag, feed.last_modified))
    db.session.commit()  # no transaction stays open across the network calls
    if not targets:
        return []
    limits = Limits.from_config()
    workers = min(len(targets), _fetch_threads())
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="upstream-fetch") as pool:
        outcomes = list(pool.map(lambda t: fetch(t[2], t[3], t[4], limits), targets))
    return [f"{name}: {_apply_safely(feed_id, fetched)}"
            for (feed_id, name, *_rest), fetched in zip(targets, outcomes)]


def _fetch_threads() -> int:
    return max(1, int(current_app.config.get("UPSTREAM_FETCH_THREADS", 8)))


def _apply_safely(feed_id: int, fetched: Fetched) -> str:
    try:
        line = _apply_outcome(feed_id, fetched)
        db.session.commit()
        return line
    except IntegrityError:
        # Another worker recorded the same new entry first; its draft and alerts stand, ours roll back.
        db.session.rollback()
        return "already applied by another worker"
    except OperationalError as exc:
        # SQLite refuses a write whose snapshot a concurrent writer overtook; the next poll retries.
        db.session.rollback()
        return f"database busy, will retry ({exc.orig.__class__.__name__})"
    except Exception as exc:  # a bug on one feed must not stop the others
        db.session.rollback()
        log.exception("applying upstream feed %s failed", feed_id)
        _record_failure(feed_id, Fetched(status=fetched.status, error=f"internal error: {exc.__class__.__name__}"))
        db.session.commit()
        return f"internal error {exc.__class__.__name__}"


def _apply_outcome(feed_id: int, fetched: Fetched) -> str:
    feed = db.session.get(UpstreamFeed, feed_id)
    if not fetched.ok:
        return _record_failure(feed_id, fetched)
    if fetched.not_modified:
        component = apply.third_party_component(feed_id)
        _write(feed, status=component.status if component else "operational", last_status=304,
               consecutive_failures=0,
               # A fetch error is over now; a warning about the unchanged document still holds.
               last_error=None if feed.consecutive_failures else feed.last_error)
        return "304 not modified"
    try:
        if feed.kind == "statuspage":
            doc = parse_summary(fetched.body)
        else:
            doc = parse_feed(fetched.body, fetched.headers.get("content-type"))
    except ParseError as exc:
        return _record_failure(feed_id, Fetched(status=fetched.status, error=str(exc)))
    now = utcnow()
    notes = apply.apply_document(feed, doc, now)
    status = apply.derived_status(feed, doc)
    changed = apply.set_component_status(feed, status)
    if changed:
        notes.append(changed)
    warnings = [w for w in (doc.warning, fetched.truncated and
                            f"body cut at {len(fetched.body)} bytes (UPSTREAM_MAX_BYTES)") if w]
    _write(feed, status=status, last_status=fetched.status, consecutive_failures=0,
           last_error="; ".join(warnings) or None, etag=fetched.etag, last_modified=fetched.last_modified,
           entries_seen=apply.entries_count(feed_id))
    summary = f"{fetched.status}, {len(doc.entries)} entries, state {status}"
    return "; ".join([summary, *notes])


def _record_failure(feed_id: int, fetched: Fetched) -> str:
    """One failed fetch changes nothing visible; N in a row make the feed "unknown"."""
    feed = db.session.get(UpstreamFeed, feed_id)
    failures = feed.consecutive_failures + 1
    state = "unknown" if failures >= failures_before_unknown() else feed.state
    factor = min(2 ** max(failures - failures_before_unknown(), 0), MAX_BACKOFF_FACTOR)
    _write(feed, status=state, last_status=fetched.status, consecutive_failures=failures,
           last_error=fetched.error or "failed", backoff=factor)
    return f"failed ({failures} in a row): {fetched.error}"


def _write(feed: UpstreamFeed, status: str, backoff: int = 1, **values) -> None:
    """Bookkeeping by plain UPDATE: a poll that changes nothing public must not invalidate the page cache."""
    now = utcnow()
    interval = max(feed.interval_seconds, MIN_INTERVAL)
    db.session.execute(update(UpstreamFeed).where(UpstreamFeed.id == feed.id).values(
        last_fetch_at=now, next_fetch_at=now + timedelta(seconds=interval * backoff), state=status, **values)
        .execution_options(synchronize_session=False))
    if status != feed.state:
        bump_site_version()


def poll_due() -> list[str]:
    """The periodic job: fetch the feeds whose time has come. Safe to run on several workers at once."""
    # One round of parallel fetches per run keeps the shared worker loop (deliveries) moving.
    return poll_feeds(claim_due(limit=_fetch_threads()))


def poll_all(force: bool = False) -> list[str]:
    if not force:
        lines = poll_due()
        return lines or ["No upstream feed is due."]
    lines = poll_feeds(claim_due(force=True, limit=10_000))
    return lines or ["No upstream feeds are registered."]


def poll_forever(tick_seconds: float = 5.0) -> None:
    print("Polling upstream feeds; Ctrl-C to stop.", flush=True)
    try:
        while True:
            for line in poll_due():
                print(line, flush=True)
            db.session.remove()
            time.sleep(tick_seconds)
    except KeyboardInterrupt:
        pass
