"""An upstream incident, from first sight to resolution, as operators and customers see it."""
from __future__ import annotations

import re
import secrets

from sqlalchemy import select, text

from statuspage import create_app
from statuspage.extensions import db
from statuspage.models import AuditEntry, UpstreamFeed
from tests.factories import gen_component, gen_subscriber

from . import feeds
from .helpers import drafts, feed, poll, register, third_party_status, update_deliveries

CARD_OUTAGE = ("p4y1", "Elevated card payment errors", feeds.OPEN)
CARD_RESOLVED = ("p4y1", "Elevated card payment errors", feeds.RESOLVED)
OLD_RESOLVED = ("p3x0", "Delayed payouts", feeds.RESOLVED)


def upstream_incident_begins(feed_server, component_ids=()) -> int:
    """A feed registered on its quiet history, then a new incident appears upstream."""
    feed_server.set("/history.rss", feeds.statuspage_rss([OLD_RESOLVED]))
    feed_id = register(feed_server, "/history.rss", component_ids=component_ids)
    poll()
    feed_server.set("/history.rss", feeds.statuspage_rss([CARD_OUTAGE, OLD_RESOLVED]))
    poll()
    return feed_id


def page_status(client, name: str) -> str | None:
    """The status the public page shows for component `name` (its CSS status class)."""
    page = client.get("/").get_data(as_text=True)
    match = re.search(rf'component-name">{re.escape(name)}\b.*?</span>\s*(?:</span>\s*)?'
                      r'<span class="status status-(\w+)"', page, re.S)
    return match.group(1) if match else None


def test_third_party_component_follows_the_feed_operational_degraded_operational(app, client, feed_server, admin_mail):
    # Every test restarts the site version at 1; a version no other test reaches keeps
    # page copies cached by other tests (same version, same key) out of this one.
    db.session.execute(text("UPDATE site_state SET version = version + :n"), {"n": secrets.randbelow(10**9) + 10**6})
    db.session.commit()
    feed_server.set("/history.rss", feeds.statuspage_rss([OLD_RESOLVED]))
    feed_id = register(feed_server, "/history.rss")
    poll()
    assert third_party_status(feed_id) == "operational"
    seen_on_page = [page_status(client, "Payhub")]

    feed_server.set("/history.rss", feeds.statuspage_rss([CARD_OUTAGE, OLD_RESOLVED]))
    poll()
    assert third_party_status(feed_id) == "degraded_performance"
    seen_on_page.append(page_status(client, "Payhub"))

    feed_server.set("/history.rss", feeds.statuspage_rss([CARD_RESOLVED, OLD_RESOLVED]))
    poll()
    assert third_party_status(feed_id) == "operational"
    assert feed(feed_id).state == "operational"
    seen_on_page.append(page_status(client, "Payhub"))
    assert seen_on_page == ["operational", "degraded_performance", "operational"]


def test_new_upstream_incident_opens_one_draft_and_alerts_each_admin_once(app, feed_server, admin_mail, admins):
    ours = gen_component("Card checkout")
    db.session.commit()
    feed_server.set("/history.rss", feeds.statuspage_rss([OLD_RESOLVED]))
    feed_id = register(feed_server, "/history.rss", component_ids=[ours.id])
    poll()
    assert drafts() == [] and admin_mail.committed() == []

    feed_server.set("/history.rss", feeds.statuspage_rss([CARD_OUTAGE, OLD_RESOLVED]))
    for _ in range(3):
        poll()
    [draft] = drafts()
    assert draft.name == "Payhub: Elevated card payment errors"
    assert draft.visibility == "public" and draft.status == "investigating"
    assert draft.upstream_feed_id == feed_id
    assert draft.upstream_link == "https://status.payhub.test/incidents/p4y1"
    assert [(a.component_id, a.status) for a in draft.affected] == [(ours.id, "degraded_performance")]
    body = draft.updates[0].body
    assert "https://status.payhub.test/incidents/p4y1" in body and "Workaround" in body
    # Admins only (not the viewer), once.
    assert [(m["kind"], m["channel"], m["recipient"]) for m in admin_mail.committed()] == [("admin", "email", "ops@example.test")]
    assert "Elevated card payment errors" in admin_mail.committed()[0]["subject"]
    assert f"#{draft.id}" in admin_mail.committed()[0]["text"]


def test_a_restart_does_not_process_the_same_entry_again(app, feed_server, admin_mail, admins):
    upstream_incident_begins(feed_server)
    assert len(drafts()) == 1 and len(admin_mail.committed()) == 1

    # A new process: a fresh app on the same database, nothing remembered in memory.
    restarted = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                            "SECRET_KEY": "test-secret"})
    with restarted.app_context():
        # Even a fetch of the full document (no ETag to send) must not repeat the event.
        db.session.execute(db.update(UpstreamFeed).values(etag=None, last_modified=None))
        db.session.commit()
        poll()
        poll()
        assert len(drafts()) == 1
        db.session.remove()
    assert len(admin_mail.committed()) == 1
    assert feed_server.hits("/history.rss")[-2] == 200  # the restarted poller really fetched the document


def test_nothing_reaches_subscribers_before_an_operator_publishes(app, client, feed_server, admin_mail, admins):
    gen_subscriber("customer@example.test")
    db.session.commit()
    upstream_incident_begins(feed_server)
    assert len(drafts()) == 1
    assert update_deliveries() == 0
    assert all(m["recipient"] != "customer@example.test" for m in admin_mail.committed())
    assert "Elevated card payment errors" not in client.get("/").get_data(as_text=True)


def test_upstream_resolution_suggests_resolving_ours_but_never_resolves_it(app, feed_server, admin_mail, admins):
    upstream_incident_begins(feed_server)
    feed_server.set("/history.rss", feeds.statuspage_rss([CARD_RESOLVED, OLD_RESOLVED]))
    lines = poll()
    [draft] = drafts()
    assert draft.status == "investigating" and draft.draft
    notes = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "upstream.resolved")).all()
    assert [n.object_id for n in notes] == [str(draft.id)]
    assert "consider resolving" in notes[0].summary and any("consider resolving" in line for line in lines)
    assert len(admin_mail.committed()) == 1


def test_old_blog_posts_are_history_but_a_provider_stated_open_incident_is_open(app, feed_server, admin_mail, admins):
    posts = [("move", "Scheduled office move", "We are moving offices.", "Mon, 02 Mar 2020 10:00:00 +0000")]
    feed_server.set("/feed/", feeds.wordpress_rss(posts))
    blog_id = register(feed_server, "/feed/", name="Mailbird")
    long_open = feeds.statuspage_rss([("old1", "Degraded search", feeds.OPEN)])
    feed_server.set("/history.rss", long_open.replace("Sat, 21 Nov 2026 10:00:00", "Mon, 02 Mar 2020 10:00:00"))
    statuspage_id = register(feed_server, "/history.rss")
    poll()
    assert third_party_status(blog_id) == "operational" and feed(blog_id).entries_seen == 1
    # Statuspage says "Investigating" however old the incident: it is still open.
    assert third_party_status(statuspage_id) == "degraded_performance"
    assert [d.name for d in drafts()] == ["Payhub: Degraded search"]


def test_the_subscribers_hear_of_it_once_an_operator_publishes_the_draft(app, client, feed_server, admin_mail, admins):
    from statuspage.services.accounts import issue_api_token

    ours = gen_component("Card checkout")
    gen_subscriber("customer@example.test")
    _token, raw = issue_api_token(admins[0], name="ops")
    db.session.commit()
    upstream_incident_begins(feed_server, component_ids=[ours.id])
    [draft] = drafts()
    assert update_deliveries() == 0
    resp = client.patch(f"/api/admin/v1/incidents/{draft.id}", json={"draft": False},
                        headers={"Authorization": f"Bearer {raw}"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    db.session.expire_all()
    assert update_deliveries() == 1
    unresolved = client.get("/api/v2/incidents/unresolved.json").get_json()["incidents"]
    assert [i["name"] for i in unresolved] == ["Payhub: Elevated card payment errors"]
