"""Apply a parsed upstream document: record entries once, open drafts, set the third-party component.

Runs in one transaction per fetch. The (feed_id, guid) unique key makes a
second worker that raced us on the same new entry fail as a whole, so its
draft and its alert emails roll back with it: each upstream event is
processed once.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from ..extensions import db
from ..models import COMPONENT_SEVERITY, Component, UpstreamEntry, UpstreamFeed
from ..services import audit
from ..services.audit import Actor
from . import drafts
from .parse import MAINTENANCE, OPEN, RESOLVED, SCHEDULED, ParsedDocument, ParsedEntry, topic

# A blog post without a resolution marker is not necessarily an open incident:
# one published this long before we started watching the feed is old news.
# (Statuspage-style entries state their status outright and are always believed.)
HISTORICAL = "historical"
HISTORY_WINDOW = timedelta(hours=24)


def apply_document(feed: UpstreamFeed, doc: ParsedDocument, now: datetime) -> list[str]:
    """Record what is new or changed; returns human-readable notes of what happened."""
    notes: list[str] = []
    guids = [e.guid for e in doc.entries]
    known = {}
    if guids:
        known = {row.guid: row for row in db.session.scalars(
            select(UpstreamEntry).where(UpstreamEntry.feed_id == feed.id, UpstreamEntry.guid.in_(guids)))}
    open_rows = list(db.session.scalars(select(UpstreamEntry).where(
        UpstreamEntry.feed_id == feed.id, UpstreamEntry.state == OPEN).order_by(UpstreamEntry.id)))
    # Oldest first, so a blog's "[Resolved] ..." post meets the post it follows up.
    for parsed in reversed(doc.entries):
        row = known.get(parsed.guid)
        if row is None:
            _record_new(feed, parsed, now, open_rows, notes)
        else:
            _update_known(feed, row, parsed, open_rows, notes)
    if doc.complete:
        # summary.json lists every unresolved incident: one that left the list is over.
        present = set(guids)
        for row in list(open_rows):
            if row.guid not in present:
                _resolve(feed, row, open_rows, notes)
    db.session.flush()
    return notes


def _record_new(feed, parsed: ParsedEntry, now: datetime, open_rows: list, notes: list) -> None:
    state = parsed.state
    if (state == OPEN and not parsed.structured and parsed.published_at
            and parsed.published_at < feed.created_at - HISTORY_WINDOW):
        state = HISTORICAL
    row = UpstreamEntry(feed_id=feed.id, guid=parsed.guid, title=parsed.title, link=parsed.link, state=state,
                        published_at=parsed.published_at, seen_at=now)
    db.session.add(row)
    sibling = None if parsed.structured else _same_topic(open_rows, parsed.title)
    if state == RESOLVED and sibling is not None:
        row.incident_id = sibling.incident_id
        _resolve(feed, sibling, open_rows, notes)
    elif state == OPEN and sibling is not None:
        # "Update: X" after "X": the same upstream incident, already drafted.
        row.incident_id = sibling.incident_id
        open_rows.append(row)
    elif state == OPEN:
        db.session.flush()
        incident = drafts.open_draft(feed, row)
        row.incident_id = incident.id
        sent = drafts.alert_admins(feed, row, incident)
        open_rows.append(row)
        notes.append(f"new upstream incident '{row.title}': draft #{incident.id} opened, {sent} admin(s) alerted")


def _update_known(feed, row: UpstreamEntry, parsed: ParsedEntry, open_rows: list, notes: list) -> None:
    row.title = parsed.title
    row.link = parsed.link or row.link
    if row.state == OPEN and parsed.state == RESOLVED:
        _resolve(feed, row, open_rows, notes)
    elif row.state == MAINTENANCE and parsed.state == RESOLVED:
        row.state = RESOLVED
    elif row.state == SCHEDULED and parsed.state == MAINTENANCE:
        row.state = MAINTENANCE
    # A resolved entry never reopens: a blog's original post still reads "open"
    # after its "[Resolved]" follow-up has closed it.


def _resolve(feed, row: UpstreamEntry, open_rows: list, notes: list) -> None:
    row.state = RESOLVED
    if row in open_rows:
        open_rows.remove(row)
    note = drafts.suggest_resolution(feed, row)
    notes.append((note or f"upstream incident '{row.title}' resolved").rstrip("."))


def _same_topic(open_rows: list, title: str):
    wanted = topic(title)
    if not wanted:
        return None
    return next((row for row in open_rows if topic(row.title) == wanted), None)


def derived_status(feed: UpstreamFeed, doc: ParsedDocument | None) -> str:
    """The third-party component's status: the worst of its open entries and the provider's own indicator."""
    states = set(db.session.scalars(select(UpstreamEntry.state).where(
        UpstreamEntry.feed_id == feed.id, UpstreamEntry.state.in_((OPEN, MAINTENANCE))).distinct()))
    status = ("degraded_performance" if OPEN in states
              else "under_maintenance" if MAINTENANCE in states else "operational")
    if doc is not None and doc.indicator_status:
        status = max(status, doc.indicator_status, key=lambda s: COMPONENT_SEVERITY.get(s, 0))
    return status


def third_party_component(feed_id: int) -> Component | None:
    return db.session.scalars(select(Component).where(Component.upstream_id == feed_id,
                                                      Component.deleted_at.is_(None))
                              .order_by(Component.id)).first()


def set_component_status(feed: UpstreamFeed, status: str) -> str | None:
    """Move the feed's third-party component to `status`; a note when it changed."""
    component = third_party_component(feed.id)
    if component is None or component.status == status:
        return None
    before = component.status
    component.status = status
    audit.record("upstream.component_status", "component", component.id, actor=Actor.system(), before={"status": before},
                 after={"status": status}, summary=f"'{component.name}' {before} -> {status} (upstream feed)")
    return f"component '{component.name}': {before} -> {status}"


def entries_count(feed_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(UpstreamEntry)
                             .where(UpstreamEntry.feed_id == feed_id)) or 0
