"""Real feeds misbehave; the poller stays cheap, bounded and truthful."""
from __future__ import annotations

import time

from tests.factories import gen_component  # noqa: F401

from . import feeds
from .helpers import feed, poll, register, third_party_status

RESOLVED_ONLY = [("a1", "Delayed payouts", feeds.RESOLVED)]


def test_ten_polls_of_an_unchanged_feed_cost_one_full_fetch_and_nine_304s(app, feed_server, admin_mail):
    feed_server.set("/history.rss", feeds.statuspage_rss(RESOLVED_ONLY))
    feed_id = register(feed_server, "/history.rss")
    for _ in range(10):
        poll()
    assert feed_server.hits("/history.rss") == [200] + [304] * 9
    sent = [headers for _status, headers in feed_server.routes["/history.rss"].hits]
    assert "If-None-Match" not in sent[0] and all(h.get("If-None-Match") for h in sent[1:])
    assert all(h.get("If-Modified-Since") == "Sat, 21 Nov 2026 10:00:00 GMT" for h in sent[1:])
    assert feed(feed_id).last_status == 304 and feed(feed_id).entries_seen == 1


def test_a_changed_feed_is_fetched_again_in_full(app, feed_server, admin_mail):
    feed_server.set("/history.rss", feeds.statuspage_rss(RESOLVED_ONLY))
    feed_id = register(feed_server, "/history.rss")
    poll()
    poll()
    feed_server.set("/history.rss", feeds.statuspage_rss([("a2", "API latency", feeds.RESOLVED), *RESOLVED_ONLY]))
    poll()
    assert feed_server.hits("/history.rss") == [200, 304, 200]
    assert feed(feed_id).entries_seen == 2


def test_a_slow_server_times_out_within_the_read_timeout(app, feed_server, admin_mail):
    feed_server.set("/history.rss", feeds.statuspage_rss(RESOLVED_ONLY), delay=5)
    feed_id = register(feed_server, "/history.rss")
    started = time.monotonic()
    poll()
    assert time.monotonic() - started < 3  # read timeout is 1 s in tests
    assert "timed out" in feed(feed_id).last_error
    assert feed(feed_id).last_status is None


def test_one_failed_fetch_does_not_flap_the_component_three_make_it_unknown(app, feed_server, admin_mail):
    feed_server.set("/history.rss", feeds.statuspage_rss([("o1", "Card errors", feeds.OPEN), *RESOLVED_ONLY]))
    feed_id = register(feed_server, "/history.rss")
    poll()
    assert feed(feed_id).state == "degraded_performance"
    feed_server.set("/history.rss", "gone", status=404, content_type="text/plain")
    poll()
    poll()
    assert feed(feed_id).state == "degraded_performance" and feed(feed_id).consecutive_failures == 2
    poll()
    assert feed(feed_id).state == "unknown"
    assert feed(feed_id).last_error == "HTTP 404 Not Found" and feed(feed_id).last_status == 404
    assert third_party_status(feed_id) == "degraded_performance"  # the last known state, not a guess
    feed_server.set("/history.rss", feeds.statuspage_rss([("o1", "Card errors", feeds.RESOLVED), *RESOLVED_ONLY]))
    poll()
    assert feed(feed_id).state == "operational" and feed(feed_id).last_error is None
    assert feed(feed_id).consecutive_failures == 0


def test_a_redirect_loop_is_an_error_not_a_hang(app, feed_server, admin_mail):
    feed_server.set("/a", status=302, location=feed_server.url("/b"))
    feed_server.set("/b", status=301, location=feed_server.url("/a"))
    feed_id = register(feed_server, "/a")
    started = time.monotonic()
    poll()
    assert time.monotonic() - started < 3
    assert "too many redirects" in feed(feed_id).last_error
    assert len(feed_server.hits("/a")) + len(feed_server.hits("/b")) <= 7


def test_a_redirect_to_the_feed_is_followed(app, feed_server, admin_mail):
    feed_server.set("/old.rss", status=301, location=feed_server.url("/history.rss"))
    feed_server.set("/history.rss", feeds.statuspage_rss(RESOLVED_ONLY))
    feed_id = register(feed_server, "/old.rss")
    poll()
    assert feed(feed_id).last_status == 200 and feed(feed_id).entries_seen == 1


def test_a_huge_body_is_cut_at_the_byte_cap(app, feed_server, admin_mail):
    big = "x" * 20_000
    items = [(f"i{n}", f"Incident {n}", [("Resolved", big)]) for n in range(200)]  # about 4 MB
    feed_server.set("/history.rss", feeds.statuspage_rss(items))
    feed_id = register(feed_server, "/history.rss")
    started = time.monotonic()
    poll()
    assert time.monotonic() - started < 5
    f = feed(feed_id)
    assert "cut at 262144 bytes" in f.last_error
    assert 0 < f.entries_seen < 200  # what fitted under the cap still counts
    assert f.etag is not None


def test_gzip_and_a_wrong_content_type_are_tolerated(app, feed_server, admin_mail):
    feed_server.set("/history.atom", feeds.statuspage_atom([("c1", "Object storage errors", feeds.OPEN)]),
                    gzip=True, content_type="text/html; charset=utf-8")
    feed_id = register(feed_server, "/history.atom", name="Cloudly", kind="atom")
    poll()
    assert feed(feed_id).last_status == 200 and feed(feed_id).entries_seen == 1
    assert third_party_status(feed_id) == "degraded_performance"
    assert "gzip" in feed_server.routes["/history.atom"].hits[0][1].get("Accept-Encoding", "")


def test_a_malformed_feed_still_counts_when_its_entries_parse(app, feed_server, admin_mail):
    doc = feeds.statuspage_rss([("m1", "Card errors & timeouts", feeds.OPEN)])
    doc = doc.replace("Card errors &amp; timeouts", "Card errors & timeouts").replace("</channel>", "")
    feed_server.set("/history.rss", doc)
    feed_id = register(feed_server, "/history.rss")
    poll()
    f = feed(feed_id)
    assert f.entries_seen == 1 and "malformed feed" in f.last_error
    assert f.consecutive_failures == 0 and third_party_status(feed_id) == "degraded_performance"


def test_a_document_that_is_not_a_feed_is_a_failed_fetch(app, feed_server, admin_mail):
    feed_server.set("/history.rss", "<html><body><h1>Maintenance</h1></body></html>", content_type="text/html")
    feed_id = register(feed_server, "/history.rss")
    poll()
    f = feed(feed_id)
    assert f.consecutive_failures == 1 and f.entries_seen == 0 and f.last_error
    assert f.etag is None  # refetched in full next time


def test_duplicate_guids_and_undated_entries(app, feed_server, admin_mail):
    posts = [("outage", "Email sending delayed", "We are looking into it.", None),
             ("outage", "Email sending delayed", "We are looking into it.", None),
             ("other", "New office", "We moved.", "Mon, 02 Mar 2020 10:00:00 +0000")]
    feed_server.set("/feed/", feeds.wordpress_rss([]))
    feed_id = register(feed_server, "/feed/", name="Mailbird")
    poll()
    feed_server.set("/feed/", feeds.wordpress_rss(posts))
    poll()
    assert feed(feed_id).entries_seen == 2
    from statuspage.models import UpstreamEntry
    from statuspage.extensions import db
    undated = db.session.scalars(db.select(UpstreamEntry).where(UpstreamEntry.title == "Email sending delayed")).one()
    assert undated.published_at is None and undated.state == "open"


def test_a_server_dripping_bytes_forever_is_cut_off_by_the_total_timeout(app, feed_server, admin_mail):
    feed_server.set("/history.rss", feeds.statuspage_rss(RESOLVED_ONLY), drip=0.3)  # ~20 s to send it all
    feed_id = register(feed_server, "/history.rss")
    started = time.monotonic()
    poll()
    assert time.monotonic() - started < 5  # total timeout is 3 s in tests; each read stays under 1 s
    assert "took longer than 3.0 s" in feed(feed_id).last_error
    assert feed(feed_id).entries_seen == 0
