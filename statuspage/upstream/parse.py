"""Turn an upstream document into entries with a state: open, resolved, maintenance, scheduled.

Statuspage-hosted feeds (and GitHub's, which is one) put the incident's
updates, newest first, in the entry's HTML as `<strong>Resolved</strong> - ...`;
blogs mark resolution in the title ("[Resolved] ...") or in prose. Summary
JSON states everything directly.
"""
from __future__ import annotations

import calendar
import hashlib
import html
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone

import feedparser

# Entry states. Only "open" degrades a component and opens a draft of ours.
OPEN, RESOLVED, MAINTENANCE, SCHEDULED = "open", "resolved", "maintenance", "scheduled"

_STATUSPAGE_WORDS = {
    "resolved": RESOLVED, "completed": RESOLVED, "postmortem": RESOLVED,
    "scheduled": SCHEDULED, "in progress": MAINTENANCE, "verifying": MAINTENANCE,
    "investigating": OPEN, "identified": OPEN, "monitoring": OPEN, "update": OPEN,
}
_FIRST_STRONG = re.compile(r"<(strong|b)>\s*([A-Za-z][A-Za-z ]{1,30}?)\s*</\1>", re.I)
_TITLE_RESOLVED = re.compile(
    r"^\s*(\[\s*(resolved|fixed|closed)\s*\]|\(\s*(resolved|fixed)\s*\)|(resolved|fixed)\s*[-:\u2013\u2014|])"
    r"|[\[(]\s*(resolved|fixed)\s*[\])]\s*$", re.I)
_TITLE_MARKERS = re.compile(
    r"^\s*(\[\s*[A-Za-z ]{3,20}\s*\]|\(\s*[A-Za-z ]{3,20}\s*\)|(resolved|fixed|update|updated|investigating|"
    r"identified|monitoring)\s*[-:\u2013\u2014|])\s*|\s*[\[(]\s*(resolved|fixed)\s*[\])]\s*$", re.I)
_PROSE_RESOLVED = re.compile(
    r"\b(this|the) (incident|issue|problem|outage|disruption) (has|have) (now )?been (resolved|fixed)\b"
    r"|\bhas now been resolved\b|\bis now resolved\b|\b(everything|all systems) (is |are )?(operating normally|"
    r"fully operational|operational)\b", re.I)
_TAGS = re.compile(r"<[^>]+>")

_INDICATOR_STATUS = {
    "none": "operational", "minor": "degraded_performance", "major": "partial_outage",
    "critical": "major_outage", "maintenance": "under_maintenance",
}


@dataclass
class ParsedEntry:
    guid: str
    title: str
    link: str | None
    state: str
    published_at: datetime | None
    # True when the provider stated the status outright (Statuspage markup, summary.json):
    # such an entry speaks only for itself, never for another entry with a similar title.
    structured: bool = False


@dataclass
class ParsedDocument:
    entries: list[ParsedEntry]
    warning: str | None = None
    # Only summary.json says the provider's overall status outright.
    indicator_status: str | None = None
    # summary.json lists every unresolved incident, so absence means resolved.
    complete: bool = False


class ParseError(Exception):
    pass


def classify(title: str, summary: str) -> str:
    """The state an entry's own words give it."""
    return _classify(title, summary)[0]


def _classify(title: str, summary: str) -> tuple[str, bool]:
    """(state, structured)."""
    match = _FIRST_STRONG.search(summary or "")
    if match:
        word = _STATUSPAGE_WORDS.get(match.group(2).strip().lower())
        if word:
            return word, True
    return _classify_prose(title, summary), False


def _classify_prose(title: str, summary: str) -> str:
    if _TITLE_RESOLVED.search(title or ""):
        return RESOLVED
    prose = html.unescape(_TAGS.sub(" ", summary or ""))
    if _PROSE_RESOLVED.search(prose) or _PROSE_RESOLVED.search(title or ""):
        return RESOLVED
    return OPEN


def topic(title: str) -> str:
    """A title without "[Resolved]"/"Update:" markers, to match a blog's follow-up post to its first."""
    previous = None
    text = title or ""
    while previous != text:
        previous = text
        text = _TITLE_MARKERS.sub("", text)
    return re.sub(r"\s+", " ", text).strip().lower()


def parse_feed(body: bytes, content_type: str | None) -> ParsedDocument:
    """RSS 0.9x/1.0/2.0 or Atom; a malformed document still counts when entries come out of it."""
    doc = feedparser.parse(body, response_headers={"content-type": _xml_content_type(content_type)},
                           sanitize_html=False, resolve_relative_uris=False)
    warning = None
    if doc.bozo:
        exc = doc.get("bozo_exception")
        warning = f"malformed feed ({exc.__class__.__name__}: {str(exc)[:200]})" if exc else "malformed feed"
    if not doc.entries and (doc.bozo or not doc.get("version")):
        raise ParseError(warning or "not an RSS or Atom document")
    seen: set[str] = set()
    entries = []
    for raw in doc.entries:  # newest first in practice; the first copy of a GUID wins
        entry = _entry(raw)
        if entry.guid in seen:
            continue
        seen.add(entry.guid)
        entries.append(entry)
    return ParsedDocument(entries=entries, warning=warning)


def _entry(raw) -> ParsedEntry:
    title = html.unescape(_TAGS.sub("", raw.get("title") or "")).strip()
    link = raw.get("link") or None
    published = _date(raw.get("published_parsed") or raw.get("updated_parsed"))
    summary = raw.get("summary") or ""
    for content in raw.get("content") or ():
        summary = content.get("value") or summary
        break
    guid = (raw.get("id") or "").strip() or (link or "").strip()
    if not guid:
        guid = "sha256:" + hashlib.sha256(f"{title}\n{published.isoformat() if published else ''}".encode()).hexdigest()
    if len(guid) > 500:
        guid = "sha256:" + hashlib.sha256(guid.encode()).hexdigest()
    state, structured = _classify(title, summary)
    return ParsedEntry(guid=guid, title=title[:2000] or "(untitled)", link=(link or None) and link[:1000],
                       state=state, published_at=published, structured=structured)


def _date(parsed) -> datetime | None:
    if not parsed:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), tz=timezone.utc)
    except (OverflowError, ValueError, TypeError):
        return None


def _xml_content_type(content_type: str | None) -> str:
    """Keep the charset, but tell feedparser it is XML whatever the server claimed."""
    content_type = content_type or ""
    media, _, params = content_type.partition(";")
    media = media.strip().lower()
    if media.endswith("xml") or media in ("application/rss+xml", "application/atom+xml"):
        return content_type
    charset = re.search(r"charset\s*=\s*\"?([\w.:-]+)", params, re.I)
    return "application/xml" + (f"; charset={charset.group(1)}" if charset else "")


def parse_summary(body: bytes) -> ParsedDocument:
    """Statuspage v2 `summary.json`: `status.indicator` and the unresolved incidents."""
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ParseError(f"not a Statuspage summary.json ({exc.__class__.__name__})") from None
    if not isinstance(data, dict) or not isinstance(data.get("status"), dict):
        raise ParseError("not a Statuspage summary.json (no status object)")
    indicator = str(data["status"].get("indicator") or "none").lower()
    entries = []
    for incident in data.get("incidents") or ():
        if not isinstance(incident, dict) or not incident.get("id"):
            continue
        status = str(incident.get("status") or "").lower()
        entries.append(ParsedEntry(
            guid=f"incident:{incident['id']}"[:500],
            title=str(incident.get("name") or "(untitled)")[:2000],
            link=(incident.get("shortlink") or None) and str(incident["shortlink"])[:1000],
            state=RESOLVED if status in ("resolved", "postmortem", "completed") else OPEN,
            published_at=_iso(incident.get("created_at")), structured=True))
    return ParsedDocument(entries=entries, indicator_status=_INDICATOR_STATUS.get(indicator, "degraded_performance"),
                          complete=True)


def _iso(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
