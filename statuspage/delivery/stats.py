"""What the admin delivery dashboard shows: counts, progress, failures, projected finish; retry failed."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select, update

from ..extensions import db
from ..models import ACCEPTED_STATUSES, Delivery, IncidentUpdate, Subscriber, utcnow
from .outbox import request_wakeup

PENDING = ("queued", "sending")
# The columns of the incident page's per-channel table; "queued" includes rows being sent.
SUMMARY_STATUSES = ("queued", "sent", "delivered", "failed", "logged", "suppressed")


def _scoped(query, update_id: int | None, incident_id: int | None):
    # Pages to responders ride the same outbox but are never customer notices.
    query = query.where(Delivery.kind != "page")
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


def accepted_by_update(incident_id: int) -> dict[int, int]:
    """{update id: rows a provider accepted (sent or delivered)}: what "notified" may claim."""
    rows = db.session.execute(
        select(Delivery.update_id, func.count()).where(Delivery.status.in_(ACCEPTED_STATUSES))
        .where(Delivery.update_id.in_(select(IncidentUpdate.id).where(IncidentUpdate.incident_id == incident_id)))
        .group_by(Delivery.update_id))
    return {update_id: int(n) for update_id, n in rows}


def incident_summary(incident_id: int) -> dict:
    """{"channels": {channel: {status: n for SUMMARY_STATUSES}}, "failures": [{"channel", "reason", "count"}],
    "failed": n, "accepted_by_update": {update id: n}} for the incident page (log mode is its own channel, `log`, with status `logged`)."""
    stats = delivery_stats(incident_id=incident_id)
    channels = {}
    for channel, by_status in sorted(stats["by_channel"].items()):
        row = dict.fromkeys(SUMMARY_STATUSES, 0)
        for status, n in by_status.items():
            column = "queued" if status in PENDING else status
            row[column] = row.get(column, 0) + n
        channels[channel] = row
    return {"channels": channels, "failures": stats["failures"], "failed": stats["by_status"].get("failed", 0),
            "accepted_by_update": accepted_by_update(incident_id)}


def retry_failed_for_incident(incident_id: int) -> int:
    """retry_failed for every update of the incident; the caller commits."""
    ids = db.session.scalars(select(IncidentUpdate.id).where(IncidentUpdate.incident_id == incident_id))
    return sum(retry_failed(update_id) for update_id in list(ids))
