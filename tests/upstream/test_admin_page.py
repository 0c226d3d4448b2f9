"""/admin/upstreams: what an operator sees and does in the browser."""
from __future__ import annotations

import pytest

from statuspage.extensions import db
from statuspage.models import UpstreamFeed

from . import feeds
from .helpers import poll, register


def test_the_page_shows_last_fetch_status_entries_and_error(client, feed_server, admin_mail, login):
    feed_server.set("/history.rss", feeds.statuspage_rss([("a", "Delayed payouts", feeds.RESOLVED)]))
    register(feed_server, "/history.rss", name="Payhub")
    feed_server.set("/gone.rss", "nope", status=410, content_type="text/plain")
    register(feed_server, "/gone.rss", name="Oldvendor")
    poll()
    login()
    page = client.get("/admin/upstreams").get_data(as_text=True)
    assert "Payhub" in page and "Oldvendor" in page
    assert "200" in page and "HTTP 410 Gone" in page
    assert 'name="csrf_token"' in page


def test_an_admin_adds_and_deletes_a_feed_with_forms(client, feed_server, login):
    login()
    resp = client.post("/admin/upstreams", data={"name": "Twilio", "url": feed_server.url("/history.rss"),
                                                 "interval_seconds": "60"})
    assert resp.status_code == 302
    feed = db.session.scalars(db.select(UpstreamFeed)).one()
    assert feed.name == "Twilio" and feed.interval_seconds == 60 and feed.kind == "rss"
    resp = client.post(f"/admin/upstreams/{feed.id}/delete")
    assert resp.status_code == 302
    db.session.expire_all()
    assert feed.deleted_at is not None
    page = client.get("/admin/upstreams").get_data(as_text=True)
    assert "Restore" in page


def test_a_bad_form_says_what_is_wrong(client, login):
    login()
    resp = client.post("/admin/upstreams", data={"name": "Twilio", "url": "status page", "interval_seconds": "60"})
    assert resp.status_code == 400
    assert "http://" in resp.get_data(as_text=True)
    assert db.session.scalars(db.select(UpstreamFeed)).all() == []


@pytest.mark.parametrize("role", ["viewer", "responder"])
def test_only_admins_see_the_page(client, role, login):
    login(role)
    assert client.get("/admin/upstreams").status_code == 403
    assert client.post("/admin/upstreams", data={"name": "x", "url": "https://x.test/"}).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    resp = client.get("/admin/upstreams")
    assert resp.status_code in (302, 401)


def test_the_page_suggests_resolving_our_incident_once_upstream_resolved(client, feed_server, admin_mail, login):
    history = ("h", "Delayed payouts", feeds.RESOLVED)
    feed_server.set("/history.rss", feeds.statuspage_rss([history]))
    register(feed_server, "/history.rss", name="Payhub")
    poll()
    feed_server.set("/history.rss", feeds.statuspage_rss([("x", "Card errors", feeds.OPEN), history]))
    poll()
    login()
    assert "Consider resolving" not in client.get("/admin/upstreams").get_data(as_text=True)
    feed_server.set("/history.rss", feeds.statuspage_rss([("x", "Card errors", feeds.RESOLVED), history]))
    poll()
    page = client.get("/admin/upstreams").get_data(as_text=True)
    assert "Upstream resolved “Card errors”. Consider resolving our incident:" in page
    assert "Payhub: Card errors" in page and "/admin/incidents/1" in page


def test_a_rejected_form_keeps_what_was_typed_and_marks_the_field(client, login):
    login()
    resp = client.post("/admin/upstreams", data={"name": "Twilio", "url": "https://status.twilio.test/history.rss",
                                                 "interval_seconds": "5"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert 'value="Twilio"' in page and 'value="5"' in page
    assert 'aria-invalid="true" aria-describedby="interval_seconds-error"' in page
