"""Who gets a notice, as one INSERT ... SELECT.

The audience of an update (rules a test can read in `recipients_select`):
- the subscriber is confirmed, not opted out, not deleted;
- incident tenants empty: every tenant and the main page; else only the
  subscribers of those tenants;
- incident components empty: everyone; else subscribers of all components or
  of at least one affected component;
- a drill reaches only the admins' test audience (confirmed, not opted out),
  whatever tenants and components it names, so a rehearsal always reaches
  the people rehearsing;
- a draft, a deleted incident or an update with deliver_notifications off
  reaches nobody.

Writing the rows happens in the caller's transaction (the admin's
post_update), so the update and its outbox rows commit together. An audience
above FANOUT_INLINE_MAX (default 50,000) is not written inline: the update is
committed with fanout_state="pending" in that same transaction, and the
worker runs the same idempotent INSERT ... SELECT right after. The marker is
durable with the update, so nothing is lost if the process dies in between,
and the admin's request stays fast at a million subscribers.
"""
from __future__ import annotations

from sqlalchemy import and_, exists, func, literal, or_, select, text
from sqlalchemy.dialects import postgresql, sqlite

from ..channels import SUBSCRIBER_CHANNELS
from ..delivery.outbox import request_wakeup
from ..extensions import db
from ..models import Delivery, Incident, IncidentComponent, IncidentUpdate, Subscriber, incident_tenant, subscriber_component, utcnow
from ..models.base import UTCDateTime
from ..settings import setting

_sub = Subscriber.__table__
_ic = IncidentComponent.__table__
_delivery = Delivery.__table__


def recipients_select(incident_id: int, drill: bool, has_tenants: bool, has_components: bool):
    """SELECT subscriber rows that a notice on the incident reaches."""
    conds = [_sub.c.deleted_at.is_(None), _sub.c.confirmed.is_(True), _sub.c.opted_out.is_(False)]
    if drill:
        conds.append(_sub.c.test_audience.is_(True))
    else:
        if has_tenants:
            conds.append(_sub.c.tenant_id.in_(
                select(incident_tenant.c.tenant_id).where(incident_tenant.c.incident_id == incident_id)))
        if has_components:
            overlap = exists(
                select(literal(1)).select_from(subscriber_component.join(
                    _ic, _ic.c.component_id == subscriber_component.c.component_id))
                .where(subscriber_component.c.subscriber_id == _sub.c.id, _ic.c.incident_id == incident_id))
            conds.append(or_(_sub.c.all_components.is_(True), overlap))
    return and_(*conds)


def _scope(incident: Incident) -> dict:
    has_tenants = db.session.execute(
        select(func.count()).select_from(incident_tenant).where(incident_tenant.c.incident_id == incident.id)).scalar()
    has_components = db.session.execute(
        select(func.count()).select_from(_ic).where(_ic.c.incident_id == incident.id)).scalar()
    return {"incident_id": incident.id, "drill": incident.visibility == "drill",
            "has_tenants": bool(has_tenants), "has_components": bool(has_components)}


def count_recipients(incident) -> dict:
    """{"email": n, "sms": n, "webhook": n}: who a notice on `incident` would reach now."""
    db.session.flush()
    where = recipients_select(**_scope(incident))
    counts = dict.fromkeys(SUBSCRIBER_CHANNELS, 0)
    for channel, n in db.session.execute(select(_sub.c.channel, func.count()).where(where).group_by(_sub.c.channel)):
        counts[channel] = int(n)
    return counts


def notifies(update: IncidentUpdate) -> bool:
    incident = update.incident
    return bool(update.deliver_notifications and not incident.draft and incident.deleted_at is None)


def fan_out_update(update) -> int:
    """Write the delivery rows for `update` in the caller's transaction (or mark it pending); return how many."""
    db.session.flush()
    if not notifies(update):
        return 0
    if update.fanout_state == "done":
        return update.fanout_count
    incident = update.incident
    limit = int(setting("FANOUT_INLINE_MAX", 50_000))
    expected = sum(count_recipients(incident).values())
    if expected > limit:
        update.fanout_state = "pending"
        update.fanout_count = expected
        db.session.flush()
        request_wakeup(rows=expected)
        return expected
    written = insert_deliveries(update.id, incident)
    update.fanout_state = "done"
    update.fanout_count = written
    db.session.flush()
    if written:
        request_wakeup(rows=written)
    return written


def insert_deliveries(update_id: int, incident: Incident) -> int:
    """The set-based INSERT ... SELECT; a row that exists already is left alone."""
    now = utcnow()
    where = recipients_select(**_scope(incident))
    # Not only the unique key: a row whose channel became `log` still counts as written.
    already = exists(select(literal(1)).where(_delivery.c.update_id == update_id,
                                              _delivery.c.subscriber_id == _sub.c.id))
    ts = literal(now, UTCDateTime())
    source = select(literal("update"), literal(update_id), _sub.c.id, _sub.c.channel, _sub.c.address,
                    literal("queued"), literal(0), ts, ts, ts).where(where, ~already)
    columns = ["kind", "update_id", "subscriber_id", "channel", "recipient", "status", "attempts",
               "next_attempt_at", "created_at", "updated_at"]
    dialect = db.engine.dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(_delivery).from_select(columns, source).on_conflict_do_nothing()
    if dialect == "postgresql":
        # Count in the database: the driver reports no rowcount for INSERT ... SELECT.
        written = stmt.returning(_delivery.c.id).cte("written")
        return int(db.session.execute(select(func.count()).select_from(written)).scalar() or 0)
    return db.session.execute(stmt).rowcount or 0


def run_pending_fanouts() -> int:
    """Write the rows of updates whose fan-out was deferred; idempotent, safe in parallel."""
    pending = db.session.execute(
        select(IncidentUpdate.id).where(IncidentUpdate.fanout_state == "pending").order_by(IncidentUpdate.id)
    ).scalars().all()
    total = 0
    for update_id in pending:
        update = db.session.get(IncidentUpdate, update_id)
        if update is None or update.fanout_state != "pending":
            continue
        written = insert_deliveries(update.id, update.incident) if notifies(update) else 0
        result = db.session.execute(
            text("UPDATE incident_update SET fanout_state = 'done', fanout_count = :n "
                 "WHERE id = :id AND fanout_state = 'pending'"),
            {"n": written, "id": update.id})
        if result.rowcount:
            total += written
        db.session.commit()
    db.session.commit()
    return total
