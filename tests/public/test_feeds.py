"""RSS and Atom: well-formed, newest first, stable ids, absolute links, tenants kept apart."""
from __future__ import annotations

from datetime import timedelta
from xml.etree import ElementTree

import feedparser
import pytest

from statuspage.extensions import db
from statuspage.models import utcnow
from statuspage.services.tenants import access_token
from tests.factories import gen_component, gen_incident, gen_tenant, gen_update

FORMATS = ("rss", "atom")


@pytest.fixture
def timeline(app):
    """Two incidents and a maintenance with updates at known, distinct times."""
    t0 = utcnow() - timedelta(hours=10)
    crm = gen_component("CRM")
    first = gen_incident("CRM slow", components=[crm], started_at=t0)
    first.status = "resolved"
    first.updates[0].display_at = t0
    gen_update(first, status="resolved", body="Fixed", display_at=t0 + timedelta(hours=1))
    second = gen_incident("API down", started_at=t0 + timedelta(hours=2))
    second.updates[0].display_at = t0 + timedelta(hours=2)
    gen_update(second, status="identified", body="Found", display_at=t0 + timedelta(hours=3))
    maint = gen_incident("Upgrade", kind="maintenance", status="scheduled", started_at=t0 + timedelta(hours=4),
                         scheduled_for=utcnow() + timedelta(days=1))
    maint.updates[0].display_at = t0 + timedelta(hours=4)
    db.session.commit()
    return {"crm": crm, "first": first, "second": second, "maint": maint}


def parse(client, path):
    resp = client.get(path)
    assert resp.status_code == 200, path
    feed = feedparser.parse(resp.data)
    assert feed.bozo == 0, feed.get("bozo_exception")
    return resp, feed


@pytest.mark.parametrize("fmt", FORMATS)
def test_feed_is_well_formed_and_newest_first(timeline, client, fmt):
    resp, feed = parse(client, f"/feed.{fmt}")
    assert resp.mimetype == f"application/{fmt}+xml"
    titles = [e.title for e in feed.entries]
    assert titles == ["Upgrade — Scheduled", "API down — Identified", "API down — Investigating",
                      "CRM slow — Resolved", "CRM slow — Investigating"]
    assert f"http://status.test/feed.{fmt}" in [link.href for link in feed.feed.links if link.rel == "self"]
    stamps = [e.published_parsed for e in feed.entries]
    assert stamps == sorted(stamps, reverse=True)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_feed_reader_shows_the_status_page_as_the_feeds_website(timeline, client, fmt):
    _, feed = parse(client, f"/feed.{fmt}")
    assert feed.feed.link == "http://status.test/"
    raw = client.get(f"/feed.{fmt}").data
    if fmt == "rss":
        channel_link = ElementTree.fromstring(raw).find("channel/link")
        assert channel_link is not None and channel_link.text == "http://status.test/"


@pytest.mark.parametrize("fmt", FORMATS)
def test_entries_have_absolute_links_to_the_update_and_stable_ids(timeline, client, fmt):
    _, feed = parse(client, f"/feed.{fmt}")
    second = timeline["second"]
    newest_update = max(second.updates, key=lambda u: u.display_at)
    entry = feed.entries[1]
    assert entry.link == f"http://status.test/incidents/{second.id}#update-{newest_update.id}"
    assert entry.id == f"tag:status.test,2024:incident/{second.id}/update/{newest_update.id}"
    # The same update keeps its id in the other format and after more updates are posted.
    gen_update(second, status="monitoring", body="Watching", display_at=utcnow())
    db.session.commit()
    _, again = parse(client, f"/feed.{'atom' if fmt == 'rss' else 'rss'}")
    assert entry.id in [e.id for e in again.entries]
    assert again.entries[0].title == "API down — Monitoring"


@pytest.mark.parametrize("fmt", FORMATS)
def test_component_feed_lists_only_incidents_touching_it(timeline, client, fmt):
    _, feed = parse(client, f"/components/{timeline['crm'].id}/feed.{fmt}")
    assert {e.title.split(" — ")[0] for e in feed.entries} == {"CRM slow"}
    assert client.get(f"/components/999999/feed.{fmt}").status_code == 404


@pytest.mark.parametrize("fmt", FORMATS)
def test_private_tenant_incident_is_absent_from_everyone_elses_feeds(app, client, fmt):
    acme, globex = gen_tenant("Acme"), gen_tenant("Globex", private=True)
    gateway = gen_component("Globex gateway", tenant=globex)
    gen_incident("Globex gateway broken", visibility="tenants", tenants=[globex], components=[gateway])
    gen_incident("Everyone's problem")
    db.session.commit()
    for path in (f"/feed.{fmt}", f"/t/acme/feed.{fmt}"):
        resp, feed = parse(client, path)
        assert b"Globex" not in resp.data
        assert [e.title.split(" — ")[0] for e in feed.entries] == ["Everyone's problem"]
    assert client.get(f"/components/{gateway.id}/feed.{fmt}").status_code == 404
    _, own = parse(client, f"/t/globex/feed.{fmt}?access={access_token(globex)}")
    assert "Globex gateway broken" in [e.title.split(" — ")[0] for e in own.entries]
    assert all(e.link.startswith("http://status.test/t/globex/incidents/") for e in own.entries)


@pytest.mark.parametrize("fmt", FORMATS)
def test_hostile_names_come_out_escaped(app, client, fmt):
    gen_incident("<script>alert('x')</script> & co", body="<script>alert(1)</script>")
    db.session.commit()
    resp, feed = parse(client, f"/feed.{fmt}")
    assert b"<script>" not in resp.data
    root = ElementTree.fromstring(resp.data)
    titles = [el.text for el in root.iter() if el.tag.endswith("title")]
    assert any(t and t.startswith("<script>alert('x')</script> & co") for t in titles)  # text, not markup


@pytest.mark.parametrize("fmt", FORMATS)
def test_empty_feed_is_still_valid(client, fmt):
    _, feed = parse(client, f"/feed.{fmt}")
    assert feed.entries == []
