"""Documents in the shape real providers publish, built from a few facts per incident."""
from __future__ import annotations

import json
import zlib
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from html import escape

# (status word, message) per update, newest first, as Statuspage renders them.
RESOLVED = [("Resolved", "This incident has been resolved."),
            ("Investigating", "We are investigating elevated error rates on card payments.")]
OPEN = [("Investigating", "We are investigating elevated error rates on card payments.")]


def recent(hours_ago: float = 1, offset_hours: int = 0) -> str:
    """An RFC 822 date `hours_ago` before now, written in a zone `offset_hours` east of UTC."""
    zone = timezone(timedelta(hours=offset_hours))
    return format_datetime((datetime.now(timezone.utc) - timedelta(hours=hours_ago)).astimezone(zone))


def _statuspage_html(updates) -> str:
    return "".join(f"<p><small>Nov <var data-var='date'>21</var>, <var data-var='time'>10:0{i}</var> UTC</small>"
                   f"<br><strong>{word}</strong> - {escape(text)}</p>" for i, (word, text) in enumerate(updates))


def statuspage_rss(incidents, provider="Payhub") -> str:
    """Like https://status.<provider>.com/history.rss (Statuspage)."""
    items = "".join(f"""
    <item>
      <title>{escape(title)}</title>
      <description>{escape(_statuspage_html(updates))}</description>
      <pubDate>Sat, 21 Nov 2026 10:0{n}:00 +0000</pubDate>
      <link>https://status.{provider.lower()}.test/incidents/{iid}</link>
      <guid>https://status.{provider.lower()}.test/incidents/{iid}</guid>
    </item>""" for n, (iid, title, updates) in enumerate(incidents))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">
  <channel>
    <title>{provider} Status - Incident History</title>
    <link>https://status.{provider.lower()}.test</link>
    <description>Statuspage</description>
    <pubDate>Sat, 21 Nov 2026 10:10:00 +0000</pubDate>{items}
  </channel>
</rss>
"""


def statuspage_atom(incidents, provider="Cloudly", host=None) -> str:
    """Like https://status.<provider>.com/history.atom; GitHub's www.githubstatus.com/history.atom is one."""
    host = host or f"status.{provider.lower()}.test"
    entries = "".join(f"""
  <entry>
    <id>tag:{host},2005:Incident/{iid}</id>
    <published>2026-11-21T10:0{n}:00Z</published>
    <updated>2026-11-21T10:0{n}:30Z</updated>
    <link rel="alternate" type="text/html" href="https://{host}/incidents/{iid}"/>
    <title>{escape(title)}</title>
    <content type="html">{escape(_statuspage_html(updates))}</content>
  </entry>""" for n, (iid, title, updates) in enumerate(incidents))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xml:lang="en-US" xmlns="http://www.w3.org/2005/Atom">
  <id>tag:{host},2005:/history</id>
  <link rel="alternate" type="text/html" href="https://{host}"/>
  <link rel="self" type="application/atom+xml" href="https://{host}/history.atom"/>
  <title>{provider} Status - Incident History</title>
  <updated>2026-11-21T10:10:00Z</updated>
  <author><name>{provider}</name></author>{entries}
</feed>
"""


def wordpress_rss(posts, encoding="UTF-8", site="Mailbird") -> bytes:
    """A WordPress blog used as a status page: posts, resolution said in the title. `posts`: (slug, title, text, date|None)."""
    items = "".join(f"""
	<item>
		<title>{escape(title)}</title>
		<link>https://blog.{site.lower()}.test/{slug}/</link>
		<dc:creator><![CDATA[ops]]></dc:creator>
		{f"<pubDate>{date}</pubDate>" if date else ""}
		<category><![CDATA[Status]]></category>
		<guid isPermaLink="false">https://blog.{site.lower()}.test/?p={zlib.crc32(slug.encode()) % 10000}</guid>
		<description><![CDATA[{text}]]></description>
		<content:encoded><![CDATA[<p>{text}</p>]]></content:encoded>
	</item>""" for slug, title, text, date in posts)
    doc = f"""<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"
	xmlns:content="http://purl.org/rss/1.0/modules/content/"
	xmlns:dc="http://purl.org/dc/elements/1.1/"
	xmlns:atom="http://www.w3.org/2005/Atom"
	xmlns:sy="http://purl.org/rss/1.0/modules/syndication/">
<channel>
	<title>{site} Status &#8211; Service notices</title>
	<atom:link href="https://blog.{site.lower()}.test/feed/" rel="self" type="application/rss+xml" />
	<link>https://blog.{site.lower()}.test</link>
	<description>Service notices</description>
	<language>en-US</language>
	<sy:updatePeriod>hourly</sy:updatePeriod>
	<generator>https://wordpress.org/?v=6.4.2</generator>{items}
</channel>
</rss>
"""
    return doc.encode(encoding)


def summary_json(indicator="none", incidents=()) -> str:
    """Statuspage v2 /api/v2/summary.json. `incidents`: (id, name, status)."""
    description = {"none": "All Systems Operational", "minor": "Minor Service Outage",
                   "major": "Partial System Outage", "critical": "Major Service Outage"}.get(indicator, indicator)
    return json.dumps({
        "page": {"id": "kctbh9vrtdwd", "name": "Shipfast", "url": "https://status.shipfast.test",
                 "time_zone": "Etc/UTC", "updated_at": "2026-11-21T10:10:00.000Z"},
        "components": [{"id": "x1", "name": "API", "status": "operational", "group": False}],
        "incidents": [{"id": iid, "name": name, "status": status, "impact": "minor",
                       "shortlink": f"https://stspg.io/{iid}", "created_at": "2026-11-21T10:00:00.000Z",
                       "updated_at": "2026-11-21T10:05:00.000Z", "incident_updates": []}
                      for iid, name, status in incidents],
        "scheduled_maintenances": [],
        "status": {"indicator": indicator, "description": description},
    })
