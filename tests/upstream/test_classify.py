"""How an entry's own words say whether the upstream incident is over."""
from __future__ import annotations

import pytest

from statuspage.upstream.parse import parse_feed, classify, topic


@pytest.mark.parametrize("title, summary, state", [
    ("Resolved - Elevated API errors", "", "resolved"),
    ("[Resolved] Email delays", "", "resolved"),
    ("Email delays (Resolved)", "", "resolved"),
    ("RESOLVED: Login failures", "", "resolved"),
    ("Email delays", "<p>Update: this incident has been resolved. Thanks for your patience.</p>", "resolved"),
    ("Email delays", "<p>The issue has now been resolved.</p>", "resolved"),
    ("Incident with Actions", "<p><small>Nov 21</small><br><strong>Resolved</strong> - All good.</p>"
                              "<p><strong>Investigating</strong> - Looking.</p>", "resolved"),
    ("Incident with Actions", "<p><strong>Monitoring</strong> - A fix is out.</p>"
                              "<p><strong>Investigating</strong> - Looking.</p>", "open"),
    ("Database upgrade", "<p><strong>In progress</strong> - Under way.</p>", "maintenance"),
    ("Database upgrade", "<p><strong>Scheduled</strong> - Next Tuesday.</p>", "scheduled"),
    ("Email delays", "<p>We will post again once it has been resolved.</p>", "open"),
    ("Unresolved login failures", "We are investigating.", "open"),
])
def test_resolution_is_recognised_in_titles_and_summaries(title, summary, state):
    assert classify(title, summary) == state


def test_follow_up_posts_share_a_topic_with_the_first():
    assert topic("[Resolved] Email delays") == topic("Update: Email delays") == topic("Email  delays") \
        == "email delays"


def test_entries_without_guid_fall_back_to_link_then_to_title_and_date():
    doc = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
    <item><title>A</title><link>https://x.test/a</link></item>
    <item><title>B</title></item>
    <item><title>B</title></item>
    <item><title>B</title><pubDate>Sat, 21 Nov 2026 10:00:00 +0000</pubDate></item>
    </channel></rss>"""
    entries = parse_feed(doc, "application/rss+xml").entries
    assert [e.guid[:7] for e in entries] == ["https:/", "sha256:", "sha256:"]
    assert entries[0].guid == "https://x.test/a"
    assert entries[1].published_at is None and entries[2].published_at.isoformat() == "2026-11-21T10:00:00+00:00"
