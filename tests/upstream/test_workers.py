"""Several workers run the poll job at once (embedded thread plus Celery beat, or two machines)."""
from __future__ import annotations

import threading

from sqlalchemy import update

from statuspage.extensions import db
from statuspage.models import UpstreamFeed
from statuspage.upstream import poll_all, poll_due

from . import feeds
from .helpers import drafts, poll, register

HISTORY = [("h1", "Delayed payouts", feeds.RESOLVED)]
OUTAGE = [("o1", "Card payments failing", feeds.OPEN), *HISTORY]


def _run_together(app, job, n=2) -> list:
    barrier = threading.Barrier(n)
    results = [None] * n

    def worker(i):
        with app.app_context():
            barrier.wait()
            results[i] = job()
            db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


def _make_due(feed_id) -> None:
    db.session.execute(update(UpstreamFeed).where(UpstreamFeed.id == feed_id).values(next_fetch_at=None))
    db.session.commit()


def test_two_workers_polling_at_once_fetch_a_due_feed_once(app, feed_server, admin_mail, admins):
    feed_server.set("/history.rss", feeds.statuspage_rss(HISTORY))
    feed_id = register(feed_server, "/history.rss")
    poll()
    feed_server.set("/history.rss", feeds.statuspage_rss(OUTAGE), delay=0.2)
    _make_due(feed_id)
    results = _run_together(app, poll_due, n=3)
    assert sorted(len(r) for r in results) == [0, 0, 1]
    assert feed_server.hits("/history.rss") == [200, 200]
    db.session.expire_all()
    assert len(drafts()) == 1 and len(admin_mail.committed()) == 1


def test_a_feed_is_not_fetched_again_before_its_interval(app, feed_server, admin_mail):
    feed_server.set("/history.rss", feeds.statuspage_rss(HISTORY))
    register(feed_server, "/history.rss", interval=60)
    assert len(poll_due()) == 1
    assert poll_due() == [] and poll_all() == ["No upstream feed is due."]
    assert feed_server.hits("/history.rss") == [200]


def test_forced_polls_racing_on_the_same_new_entry_still_make_one_draft(app, feed_server, admin_mail, admins):
    feed_server.set("/history.rss", feeds.statuspage_rss(HISTORY))
    register(feed_server, "/history.rss")
    poll()
    feed_server.set("/history.rss", feeds.statuspage_rss(OUTAGE), delay=0.2)
    _run_together(app, lambda: poll_all(force=True), n=2)
    db.session.expire_all()
    assert len(drafts()) == 1 and len(admin_mail.committed()) == 1


def test_a_deleted_feed_is_not_polled(app, feed_server, admin_mail):
    from statuspage.services.audit import Actor
    from statuspage.upstream.registry import delete_feed

    feed_server.set("/history.rss", feeds.statuspage_rss(HISTORY))
    feed_id = register(feed_server, "/history.rss")
    delete_feed(db.session.get(UpstreamFeed, feed_id), actor=Actor.system())
    assert poll_all(force=True) == ["No upstream feeds are registered."]
    assert feed_server.hits("/history.rss") == []


def test_slow_providers_are_fetched_side_by_side(app, feed_server, admin_mail):
    import time

    for n in range(4):
        feed_server.set(f"/slow{n}.rss", feeds.statuspage_rss(HISTORY), delay=0.6)
        register(feed_server, f"/slow{n}.rss", name=f"Slow {n}")
    started = time.monotonic()
    lines = poll_due()
    assert time.monotonic() - started < 1.8  # not 4 x 0.6 s one after another
    assert len(lines) == 4 and all(": 200, 1 entries" in line for line in lines)


def test_the_worker_schedule_runs_the_poll(app, feed_server, admin_mail):
    from statuspage.delivery.periodic import PeriodicSchedule
    from statuspage.jobs import PERIODIC_JOBS

    feed_server.set("/history.rss", feeds.statuspage_rss(HISTORY))
    feed_id = register(feed_server, "/history.rss")
    PeriodicSchedule(PERIODIC_JOBS).run_due()
    db.session.expire_all()
    assert feed_server.hits("/history.rss") == [200]
    assert db.session.get(UpstreamFeed, feed_id).entries_seen == 1
