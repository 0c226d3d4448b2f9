"""The shapes providers really publish: Statuspage RSS/Atom, GitHub, WordPress, summary.json, old encodings."""
from __future__ import annotations

from sqlalchemy import select

from statuspage.extensions import db
from statuspage.models import UpstreamEntry

from . import feeds
from .helpers import drafts, feed, poll, register, third_party_status

GITHUB = "www.githubstatus.test"


def titles(feed_id) -> list[str]:
    return list(db.session.scalars(select(UpstreamEntry.title).where(UpstreamEntry.feed_id == feed_id)
                                   .order_by(UpstreamEntry.title)))


def test_github_status_atom_open_then_resolved(app, feed_server, admin_mail, admins):
    history = ("g0", "Disruption with some GitHub services", feeds.RESOLVED)
    feed_server.set("/history.atom", feeds.statuspage_atom([history], provider="GitHub", host=GITHUB),
                    content_type="application/atom+xml")
    feed_id = register(feed_server, "/history.atom", name="GitHub", kind="atom")
    poll()
    monitoring = [("Monitoring", "Actions jobs are starting normally again."),
                  ("Investigating", "We are investigating reports of degraded performance for Actions.")]
    feed_server.set("/history.atom", feeds.statuspage_atom([("g1", "Incident with Actions", monitoring), history],
                                                           provider="GitHub", host=GITHUB))
    poll()
    assert third_party_status(feed_id) == "degraded_performance"  # monitoring is not resolved yet
    [draft] = drafts()
    assert draft.name == "GitHub: Incident with Actions"
    assert draft.upstream_link == f"https://{GITHUB}/incidents/g1"
    resolved = [("Resolved", "This incident has been resolved."), *monitoring]
    feed_server.set("/history.atom", feeds.statuspage_atom([("g1", "Incident with Actions", resolved), history],
                                                           provider="GitHub", host=GITHUB))
    poll()
    assert third_party_status(feed_id) == "operational"
    assert len(drafts()) == 1 and len(admin_mail.committed()) == 1


def test_statuspage_maintenance_in_progress_is_not_an_incident(app, feed_server, admin_mail, admins):
    feed_server.set("/history.rss", feeds.statuspage_rss([]))
    feed_id = register(feed_server, "/history.rss")
    poll()
    window = [("In progress", "Scheduled maintenance is currently in progress."),
              ("Scheduled", "We will be upgrading our database.")]
    feed_server.set("/history.rss", feeds.statuspage_rss([("mw1", "Database upgrade", window)]))
    poll()
    assert third_party_status(feed_id) == "under_maintenance" and drafts() == []
    done = [("Completed", "The scheduled maintenance has been completed."), *window]
    feed_server.set("/history.rss", feeds.statuspage_rss([("mw1", "Database upgrade", done)]))
    poll()
    assert third_party_status(feed_id) == "operational"


def test_wordpress_posts_in_iso_8859_1_resolved_by_a_follow_up_post(app, feed_server, admin_mail, admins):
    feed_server.set("/feed/", feeds.wordpress_rss([], encoding="ISO-8859-1"), content_type="application/rss+xml")
    feed_id = register(feed_server, "/feed/", name="Mailbird")
    poll()
    first = ("stoerung", "Störung beim E-Mail-Versand", "Wir untersuchen Verzögerungen in Zürich.",
             feeds.recent(2))
    feed_server.set("/feed/", feeds.wordpress_rss([first], encoding="ISO-8859-1"),
                    content_type="application/rss+xml")
    poll()
    assert third_party_status(feed_id) == "degraded_performance"
    [draft] = drafts()
    assert draft.name == "Mailbird: Störung beim E-Mail-Versand"
    follow_up = ("behoben", "[Resolved] Störung beim E-Mail-Versand", "Alles läuft wieder.",
                 feeds.recent(1))
    feed_server.set("/feed/", feeds.wordpress_rss([follow_up, first], encoding="ISO-8859-1"),
                    content_type="application/rss+xml")
    poll()
    assert third_party_status(feed_id) == "operational"
    assert len(drafts()) == 1 and len(admin_mail.committed()) == 1
    # The original post still reads as open in the feed; it stays resolved.
    poll()
    assert third_party_status(feed_id) == "operational"


def test_a_gb2312_feed_with_a_lying_content_type(app, feed_server, admin_mail, admins):
    feed_server.set("/feed/", feeds.wordpress_rss([], encoding="GB2312", site="Duanxin"))
    feed_id = register(feed_server, "/feed/", name="短信通道")
    poll()
    post = ("sms", "短信发送延迟", "我们正在调查部分短信发送延迟的问题。", feeds.recent(1, offset_hours=8))
    # The server says text/plain; the document's XML declaration says GB2312.
    feed_server.set("/feed/", feeds.wordpress_rss([post], encoding="GB2312", site="Duanxin"),
                    content_type="text/plain")
    poll()
    assert titles(feed_id) == ["短信发送延迟"]
    assert [d.name for d in drafts()] == ["短信通道: 短信发送延迟"]
    assert feed(feed_id).consecutive_failures == 0


def test_statuspage_summary_json_is_read_directly(app, feed_server, admin_mail, admins):
    feed_server.set("/api/v2/summary.json", feeds.summary_json("none"), content_type="application/json")
    feed_id = register(feed_server, "/api/v2/summary.json", name="Shipfast", kind="statuspage")
    poll()
    assert third_party_status(feed_id) == "operational"
    feed_server.set("/api/v2/summary.json", feeds.summary_json("major", [("k1", "Label printing down", "identified")]),
                    content_type="application/json")
    poll()
    assert third_party_status(feed_id) == "partial_outage"  # the provider's own indicator
    [draft] = drafts()
    assert draft.name == "Shipfast: Label printing down" and draft.upstream_link == "https://stspg.io/k1"
    # Resolved incidents leave summary.json: absence means over.
    feed_server.set("/api/v2/summary.json", feeds.summary_json("none"), content_type="application/json")
    poll()
    assert third_party_status(feed_id) == "operational"
    assert db.session.scalars(select(UpstreamEntry.state)).all() == ["resolved"]
    assert len(drafts()) == 1 and len(admin_mail.committed()) == 1


def test_a_summary_json_that_is_not_json_is_a_failed_fetch(app, feed_server, admin_mail):
    feed_server.set("/api/v2/summary.json", "<html>Bad gateway</html>", content_type="text/html")
    feed_id = register(feed_server, "/api/v2/summary.json", name="Shipfast", kind="statuspage")
    poll()
    assert feed(feed_id).consecutive_failures == 1
    assert "summary.json" in feed(feed_id).last_error


def test_statuspage_incidents_with_the_same_title_stay_separate(app, feed_server, admin_mail, admins):
    feed_server.set("/history.rss", feeds.statuspage_rss([]))
    feed_id = register(feed_server, "/history.rss")
    poll()
    first = ("e1", "Elevated error rates", feeds.OPEN)
    feed_server.set("/history.rss", feeds.statuspage_rss([first]))
    poll()
    # A second, short incident with the same title, already over when first seen.
    feed_server.set("/history.rss", feeds.statuspage_rss([("e2", "Elevated error rates", feeds.RESOLVED), first]))
    poll()
    assert third_party_status(feed_id) == "degraded_performance"  # e1 is still open
    feed_server.set("/history.rss", feeds.statuspage_rss([("e3", "Elevated error rates", feeds.OPEN),
                                                          ("e2", "Elevated error rates", feeds.RESOLVED), first]))
    poll()
    assert len(drafts()) == 2  # e3 is a new upstream incident of its own
