"""Open public incidents nobody has updated for a while: flagged in the admin and reminded to the owner once."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update

from ..delivery.outbox import enqueue_message
from ..extensions import db
from ..models import CLOSED_STATUSES, AdminUser, Incident, utcnow


def stale_threshold(now: datetime | None = None) -> datetime:
    minutes = int(current_app.config.get("STALE_INCIDENT_MINUTES", 30))
    return (now or utcnow()) - timedelta(minutes=minutes)


def _last_update_expr():
    return func.coalesce(Incident.last_public_update_at, Incident.started_at)


def stale_query(now: datetime | None = None):
    return select(Incident).where(
        Incident.kind == "incident", Incident.deleted_at.is_(None), Incident.draft.is_(False),
        Incident.visibility != "drill", Incident.status.not_in(CLOSED_STATUSES),
        _last_update_expr() < stale_threshold(now))


def stale_incident_ids(now: datetime | None = None) -> set[int]:
    return set(db.session.scalars(stale_query(now).with_only_columns(Incident.id)))


def remind_stale(now: datetime | None = None) -> int:
    """Email each stale incident's owner once per stale period; a new public update starts a new period."""
    now = now or utcnow()
    due = db.session.scalars(stale_query(now).where(or_(
        Incident.stale_reminded_at.is_(None), Incident.stale_reminded_at < _last_update_expr()))).all()
    sent = 0
    for incident in due:
        owner = db.session.get(AdminUser, incident.owner_id) if incident.owner_id else None
        if owner is None or owner.deleted_at is not None:
            continue
        claimed = db.session.execute(
            update(Incident).where(Incident.id == incident.id, or_(
                Incident.stale_reminded_at.is_(None), Incident.stale_reminded_at < _last_update_expr()))
            .values(stale_reminded_at=now).execution_options(synchronize_session=False))
        if claimed.rowcount != 1:
            db.session.rollback()
            continue
        minutes = int((now - (incident.last_public_update_at or incident.started_at)).total_seconds() // 60)
        link = f"{current_app.config['PUBLIC_BASE_URL']}/admin/incidents/{incident.id}"
        subject = _("Reminder: \"%(name)s\" has had no update for %(m)d minutes", name=incident.name, m=minutes)
        body = _("The open incident \"%(name)s\" has had no public update for %(m)d minutes. "
                 "Customers are waiting: post an update, even if nothing changed.\n\n%(link)s",
                 name=incident.name, m=minutes, link=link)
        enqueue_message(kind="admin", channel="email", recipient=owner.email, subject=subject, text=body)
        db.session.commit()
        sent += 1
    return sent
