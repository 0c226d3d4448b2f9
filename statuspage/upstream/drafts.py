"""What a new or resolved upstream incident does on our side: a draft, an alert, a suggestion.

Nothing here reaches subscribers: the draft is invisible and silent until an
operator publishes it, and the alert goes to the admins only.
"""
from __future__ import annotations

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import select

from ..delivery import outbox
from ..extensions import db
from ..models import (CLOSED_STATUSES, AdminUser, Component, Incident, IncidentComponent, IncidentUpdate,
                      UpstreamEntry, UpstreamFeed)
from ..services import audit
from ..services.audit import Actor

DRAFT_COMPONENT_STATUS = "degraded_performance"


def open_draft(feed: UpstreamFeed, entry: UpstreamEntry) -> Incident:
    """One draft incident of ours for a new upstream incident, pre-filled for the operator."""
    name = f"{feed.name}: {entry.title}"
    incident = Incident(kind="incident", name=name[:300], status="investigating", impact="minor",
                        visibility="public", draft=True, upstream_feed_id=feed.id,
                        upstream_entry_id=entry.guid, upstream_link=entry.link)
    for component in _our_components(feed):
        incident.affected.append(IncidentComponent(component_id=component.id, status=DRAFT_COMPONENT_STATUS))
    db.session.add(incident)
    db.session.flush()
    # Pollers run outside any request: the draft is written in the site's default language.
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE") or "en"):
        body = render_template("upstream/draft_body.txt", feed=feed, entry=entry).strip()
    db.session.add(IncidentUpdate(incident_id=incident.id, status="investigating", body=body))
    audit.record("upstream.draft_opened", "incident", incident.id, actor=Actor.system(), after={"name": incident.name, "draft": True,
                 "upstream_feed_id": feed.id, "upstream_link": entry.link},
                 summary=f"Draft opened from upstream feed '{feed.name}': {entry.title}")
    return incident


def _our_components(feed: UpstreamFeed) -> list[Component]:
    ids = [int(i) for i in (feed.component_ids or []) if str(i).isdigit()]
    if not ids:
        return []
    return list(db.session.scalars(select(Component).where(Component.id.in_(ids), Component.deleted_at.is_(None))
                                   .order_by(Component.id)))


def alert_admins(feed: UpstreamFeed, entry: UpstreamEntry, incident: Incident) -> int:
    """Email every admin once about the new draft; returns how many were queued."""
    admins = db.session.scalars(select(AdminUser).where(AdminUser.deleted_at.is_(None), AdminUser.role == "admin")
                                .order_by(AdminUser.id)).all()
    base = current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/")
    queued = 0
    for admin in admins:
        with force_locale(admin.locale or "en"):
            context = {"feed": feed, "entry": entry, "incident": incident, "base_url": base}
            subject = render_template("emails/upstream_incident.subject", **context).strip()
            text = render_template("emails/upstream_incident.txt", **context)
        outbox.enqueue_message(kind="admin", channel="email", recipient=admin.email, subject=subject, text=text)
        queued += 1
    return queued


def suggest_resolution(feed: UpstreamFeed, entry: UpstreamEntry) -> str | None:
    """The upstream incident is over: leave the operator a note, never resolve ours automatically."""
    if entry.incident_id is None:
        return None
    incident = db.session.get(Incident, entry.incident_id)
    if incident is None or incident.deleted_at is not None or incident.status in CLOSED_STATUSES:
        return None
    summary = (f"Upstream '{feed.name}' resolved '{entry.title}'; consider resolving incident "
               f"#{incident.id}{' (still a draft)' if incident.draft else ''}.")
    audit.record("upstream.resolved", "incident", incident.id, actor=Actor.system(),
                 after={"upstream_feed_id": feed.id, "upstream_entry": entry.guid, "suggest": "resolve"},
                 summary=summary)
    return summary


def resolution_suggestions(feed_ids: list[int] | None = None) -> list[tuple[UpstreamEntry, Incident]]:
    """Entries resolved upstream whose incident of ours is still open: what the admin page lists."""
    query = (select(UpstreamEntry, Incident).join(Incident, Incident.id == UpstreamEntry.incident_id)
             .where(UpstreamEntry.state == "resolved", Incident.deleted_at.is_(None),
                    Incident.status.not_in(CLOSED_STATUSES)).order_by(UpstreamEntry.id.desc()))
    if feed_ids is not None:
        query = query.where(UpstreamEntry.feed_id.in_(feed_ids))
    return [(row[0], row[1]) for row in db.session.execute(query)]
