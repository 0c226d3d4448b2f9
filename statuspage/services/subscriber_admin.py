"""The operator's view of subscribers: look one up among many, see what reached them, act on them.

Pages are keyset-paginated (newest first, `before` the last id shown), so page 5,000 costs what page 1
costs. Every change is audited and committed here; the admin pages only render.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import case, exists, func, or_, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Delivery, Subscriber, Tenant, utcnow
from ..models.subscriber import subscriber_component
from . import audit
from .audit import Actor
from .subscriptions import send_confirmation, subscriber_json
from .validation import ValidationError

# pending: not confirmed yet; confirmed: receives notices; opted_out: left (link, STOP, provider);
# bouncing: a delivery failed in the last BOUNCE_DAYS days; deleted: in the trash.
SUBSCRIBER_STATES = ("pending", "confirmed", "opted_out", "bouncing", "deleted")
BOUNCE_DAYS = 14
PAGE_SIZE = 50


@dataclass
class SubscriberFilters:
    text: str = ""
    channel: str = ""
    state: str = ""
    tenant_id: int | None = None
    main_page_only: bool = False
    component_id: int | None = None


@dataclass
class SubscriberPage:
    items: list[Subscriber]
    next_before: int | None


def _filtered(f: SubscriberFilters):
    query = select(Subscriber)
    if f.state != "deleted":
        query = query.where(Subscriber.deleted_at.is_(None))
    live = Subscriber.opted_out.is_(False)
    if f.state == "pending":
        query = query.where(live, Subscriber.confirmed.is_(False))
    elif f.state == "confirmed":
        query = query.where(live, Subscriber.confirmed.is_(True))
    elif f.state == "opted_out":
        query = query.where(Subscriber.opted_out.is_(True))
    elif f.state == "bouncing":
        since = utcnow() - timedelta(days=BOUNCE_DAYS)
        query = query.where(exists().where(Delivery.subscriber_id == Subscriber.id, Delivery.status == "failed",
                                           Delivery.created_at >= since))
    elif f.state == "deleted":
        query = query.where(Subscriber.deleted_at.is_not(None))
    if f.channel:
        query = query.where(Subscriber.channel == f.channel)
    if f.main_page_only:
        query = query.where(Subscriber.tenant_id.is_(None))
    elif f.tenant_id:
        query = query.where(Subscriber.tenant_id == f.tenant_id)
    if f.component_id:
        query = query.where(or_(Subscriber.all_components.is_(True),
                                exists().where(subscriber_component.c.subscriber_id == Subscriber.id,
                                               subscriber_component.c.component_id == f.component_id)))
    text = f.text.strip().lower()
    if text:
        # Addresses are stored lower-case; a phone may be typed with spaces or dashes.
        compact = "".join(ch for ch in text if ch not in " -().")
        query = query.where(Subscriber.address.contains(text, autoescape=True) if compact == text else
                            or_(Subscriber.address.contains(text, autoescape=True),
                                Subscriber.address.contains(compact, autoescape=True)))
    return query


def find_subscribers(filters: SubscriberFilters, before: int | None = None, per_page: int = PAGE_SIZE) -> SubscriberPage:
    """One page, newest first; `next_before` is the id to pass for the next page (None on the last)."""
    query = _filtered(filters).options(selectinload(Subscriber.tenant)).order_by(Subscriber.id.desc())
    if before:
        query = query.where(Subscriber.id < before)
    items = list(db.session.scalars(query.limit(per_page + 1)))
    more = len(items) > per_page
    items = items[:per_page]
    return SubscriberPage(items, items[-1].id if more and items else None)


def export_rows(filters: SubscriberFilters, *, actor: Actor, limit: int = 1_000_000):
    """The filtered list for a CSV download, streamed in id order; the download is audited first."""
    described = {k: v for k, v in vars(filters).items() if v}
    audit.record("subscriber.export", "subscriber", None, actor=actor, after={"filters": described},
                 summary=f"Exported subscribers from the admin screen ({described or 'all'})")
    db.session.commit()
    query = _filtered(filters).options(selectinload(Subscriber.tenant)).order_by(Subscriber.id)
    return db.session.scalars(query.limit(limit).execution_options(yield_per=1000))


def counts_per_tenant() -> list[dict]:
    """Live subscribers per tenant (None: the main page), with how many are confirmed and how many left."""
    rows = db.session.execute(
        select(Subscriber.tenant_id, func.count(),
               func.sum(case((Subscriber.confirmed.is_(True) & Subscriber.opted_out.is_(False), 1), else_=0)),
               func.sum(case((Subscriber.opted_out.is_(True), 1), else_=0)))
        .where(Subscriber.deleted_at.is_(None)).group_by(Subscriber.tenant_id)).all()
    tenants = {t.id: t for t in db.session.scalars(select(Tenant).where(Tenant.id.in_([r[0] for r in rows if r[0]])))}
    out = [{"tenant": tenants.get(tid), "tenant_id": tid, "total": total, "confirmed": int(conf or 0),
            "opted_out": int(left or 0)} for tid, total, conf, left in rows]
    out.sort(key=lambda r: (r["tenant"] is not None, r["tenant"].name if r["tenant"] else ""))
    return out


def recent_deliveries(sub: Subscriber, limit: int = 20) -> list[Delivery]:
    """What was last sent to this subscriber, newest first, with the incident each was about."""
    return list(db.session.scalars(select(Delivery).options(selectinload(Delivery.update))
                                   .where(Delivery.subscriber_id == sub.id)
                                   .order_by(Delivery.id.desc()).limit(limit)))


def _clean_reason(reason: str | None, required: bool) -> str:
    reason = " ".join((reason or "").split())[:500]
    if required and not reason:
        raise ValidationError({"reason": _("Say why this subscriber is subscribed again.")})
    return reason


def set_subscriber_opted_out(sub: Subscriber, opted_out: bool, *, actor: Actor, reason: str = "") -> bool:
    """An operator unsubscribes a subscriber, or subscribes them again (a reason is then required,
    since they had left on their own). Audited; False when nothing changed."""
    reason = _clean_reason(reason, required=not opted_out)
    if sub.opted_out == opted_out:
        return False
    before = subscriber_json(sub)
    sub.set_opted_out(opted_out)
    db.session.flush()
    verb = "unsubscribe" if opted_out else "resubscribe"
    summary = f"{verb.capitalize()}d {sub.channel} subscriber {sub.address}" + (f": {reason}" if reason else "")
    audit.record(f"subscriber.{verb}", "subscriber", sub.id, actor=actor, before=before,
                 after=subscriber_json(sub), summary=summary)
    db.session.commit()
    return True


def resend_confirmation(sub: Subscriber, *, actor: Actor) -> bool:
    """Send the confirm link or code again to a pending email or SMS subscriber; audited."""
    if sub.confirmed or sub.opted_out or sub.deleted_at is not None or sub.channel not in ("email", "sms"):
        return False
    send_confirmation(sub)
    audit.record("subscriber.resend_confirmation", "subscriber", sub.id, actor=actor,
                 summary=f"Sent the confirmation again to {sub.address}")
    db.session.commit()
    return True
