"""The delivery log as the admin pages and the admin API read it: one row per (update, subscriber, channel)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..delivery.stats import incident_summary, retry_failed_for_incident
from ..extensions import db
from ..models import DELIVERY_STATUSES, Delivery, IncidentUpdate
from . import audit
from .audit import Actor


def delivery_counts(since: datetime | None = None) -> dict[str, int]:
    """How many deliveries are in each status (every status present, zero included)."""
    query = select(Delivery.status, func.count()).group_by(Delivery.status)
    if since is not None:
        query = query.where(Delivery.created_at >= since)
    counts = dict.fromkeys(DELIVERY_STATUSES, 0)
    counts.update(dict(db.session.execute(query).all()))
    return counts


def list_deliveries(incident_id: int | None = None, status: str | None = None, limit: int = 500) -> list[Delivery]:
    """Newest first, for one incident and/or one status when given."""
    query = (select(Delivery).options(selectinload(Delivery.update).selectinload(IncidentUpdate.incident),
                                      selectinload(Delivery.subscriber)).order_by(Delivery.id.desc()))
    if incident_id:
        query = query.join(IncidentUpdate, IncidentUpdate.id == Delivery.update_id).where(
            IncidentUpdate.incident_id == incident_id)
    if status:
        query = query.where(Delivery.status == status)
    return list(db.session.scalars(query.limit(limit)))


def incident_deliveries(incident_id: int) -> dict:
    """What the incident page shows: per channel queued / sent / delivered / failed / logged, and why rows failed."""
    return incident_summary(incident_id)


def retry_failed_deliveries(incident_id: int, *, actor: Actor) -> int:
    """Queue the incident's failed rows again (not for subscribers who left); audited and committed."""
    n = retry_failed_for_incident(incident_id)
    audit.record("retry_failed", "incident", incident_id, actor=actor, summary=str(n))
    db.session.commit()
    return n
