"""What the admin delivery dashboard shows: counts, progress, failures, projected finish; retry failed."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select, update

from ..extensions import db
from ..models import Delivery, IncidentUpdate, Subscriber, utcnow
from .outbox import request_wakeup

PENDING = ("queued", "sending")


def _scoped(query, update_id: int | None, incident_id: int | None):
    if update_id is not None:
        query = query.where(Delivery.update_id == update_id)
    if incident_id is not None:
        query = query.where(Delivery.update_id.in_(
            select(IncidentUpdate.id).where(IncidentUpdate.incident_id == incident_id)))
    return query


def delivery_stats(update_id: int | None = None, incident_id: int | None = None) -> dict:
    """{"by_channel": {channel: {status: n}}, "total", "pending", "done", "failures": [...],
    "sms_pending", "sms_rate_per_second", "projected_finish" (aware UTC or None), "fanout_pending"}."""
    by_channel: dict[str, dict[str, int]] = {}
    totals: dict[str, int] = {}
    q = _scoped(select(Delivery.channel, Delivery.status, func.count()).group_by(Delivery.channel, Delivery.status),
                update_id, incident_id)
    for channel, status, n in db.session.execute(q):
        by_channel.setdefault(channel, {})[status] = int(n)
        totals[status] = totals.get(status, 0) + int(n)
    failures_q = _scoped(
        select(Delivery.channel, Delivery.last_error, func.count()).where(Delivery.status == "failed")
        .group_by(Delivery.channel, Delivery.last_error).order_by(func.count().desc()).limit(20),
        update_id, incident_id)
    failures = [{"channel": c, "reason": e or "", "count": int(n)} for c, e, n in db.session.execute(failures_q)]
    retrying = db.session.execute(_scoped(
        select(func.count()).select_from(Delivery).where(Delivery.status == "queued", Delivery.attempts > 0),
        update_id, incident_id)).scalar() or 0
    sms_pending = sum(by_channel.get("sms", {}).get(s, 0) for s in PENDING)
    rate = float(current_app.config.get("SMS_RATE_PER_SECOND") or 1.0)
    total = sum(totals.values())
    pending = sum(totals.get(s, 0) for s in PENDING)
    fanout_q = select(func.count()).select_from(IncidentUpdate).where(IncidentUpdate.fanout_state == "pending")
    if update_id is not None:
        fanout_q = fanout_q.where(IncidentUpdate.id == update_id)
    if incident_id is not None:
        fanout_q = fanout_q.where(IncidentUpdate.incident_id == incident_id)
    return {
        "by_channel": by_channel,
        "by_status": totals,
        "total": total,
        "pending": pending,
        "done": total - pending,
        "retrying": int(retrying),
        "failures": failures,
        "sms_pending": sms_pending,
        "sms_rate_per_second": rate,
        # At one long code a million SMS take days: say so up front.
        "projected_finish": utcnow() + timedelta(seconds=sms_pending / rate) if sms_pending else None,
        "fanout_pending": bool(db.session.execute(fanout_q).scalar()),
    }


def retry_failed(update_id: int) -> int:
    """Queue the update's failed rows again (not those whose subscriber has opted out); returns how many.

    The caller commits (and records the audit entry for the admin's click).
    """
    gone = select(Subscriber.id).where((Subscriber.opted_out.is_(True)) | (Subscriber.deleted_at.is_not(None)))
    now = utcnow()
    stmt = (update(Delivery)
            .where(Delivery.update_id == update_id, Delivery.status == "failed", ~Delivery.subscriber_id.in_(gone))
            # created_at restarts the retry horizon for the new round.
            .values(status="queued", next_attempt_at=now, attempts=0, created_at=now, claimed_by=None,
                    lease_until=None, updated_at=now)
            .execution_options(synchronize_session=False))
    rows = db.session.execute(stmt).rowcount or 0
    if rows:
        request_wakeup(rows=rows)
    return rows
