"""The review after an incident: fixed steps, blameless by design, and the action items it decides on.

The steps (goal, narrative, result, causes, lessons, document) are the
outline of the postmortem text; each asks what happened and why, never who.
An action item has an owner's email, a due date and a done date; an overdue
item reminds its owner once (a periodic job).
"""
from __future__ import annotations

from datetime import datetime, time, timezone

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from ..delivery.outbox import enqueue_message
from ..extensions import db
from ..models import ActionItem, Incident, utcnow
from . import audit
from .audit import Actor
from .subscriptions import SubscriptionError, normalize_email
from .validation import ValidationError, text


def review_steps() -> list[tuple[str, str]]:
    """(heading, the question it answers): the review's fixed steps."""
    return [
        (_("Goal"), _("What this review is for and what the service should have done.")),
        (_("Narrative"), _("What happened, in order, as the people involved saw it at the time.")),
        (_("Result"), _("What customers experienced, for how long, and how many were affected.")),
        (_("Causes"), _("Why it happened: the conditions and decisions that made it possible, not who.")),
        (_("Lessons"), _("What went well, what was hard, what we were lucky with.")),
        (_("Document"), _("The action items below, and what of this procedure we change.")),
    ]


def review_outline() -> str:
    return "\n\n".join(f"## {title}\n" for title, _question in review_steps())


def action_items(incident: Incident) -> list[ActionItem]:
    return list(db.session.scalars(select(ActionItem).where(ActionItem.incident_id == incident.id)
                                   .order_by(ActionItem.done_at.is_not(None), ActionItem.due_at, ActionItem.id)))


def clean_action_item(data: dict) -> dict:
    out = {"title": text(data, "title", 300, required=True)}
    try:
        out["owner_email"] = normalize_email(data.get("owner_email") or "")
    except SubscriptionError as exc:
        raise ValidationError({"owner_email": exc.message}) from None
    due = (data.get("due") or "").strip() if isinstance(data.get("due"), str) else ""
    out["due_at"] = None
    if due:
        try:
            day = datetime.strptime(due, "%Y-%m-%d").date()
        except ValueError:
            raise ValidationError({"due": _("Give the due date as YYYY-MM-DD.")}) from None
        out["due_at"] = datetime.combine(day, time(23, 59), tzinfo=timezone.utc)
    return out


def add_action_item(incident: Incident, fields: dict, *, actor: Actor) -> ActionItem:
    item = ActionItem(incident_id=incident.id, created_at=utcnow(), **fields)
    db.session.add(item)
    db.session.flush()
    audit.record("action_item", incident.kind, incident.id, actor=actor, after={"title": item.title,
                 "owner_email": item.owner_email}, summary=item.title)
    db.session.commit()
    return item


def mark_done(item: ActionItem, done: bool, *, actor: Actor) -> None:
    item.done_at = utcnow() if done else None
    audit.record("action_item_done" if done else "action_item_reopened", "incident", item.incident_id,
                 actor=actor, summary=item.title)
    db.session.commit()


def remind_overdue(now: datetime | None = None) -> int:
    """The periodic job: email the owner of each overdue, open action item, once."""
    now = now or utcnow()
    due = db.session.scalars(select(ActionItem).where(
        ActionItem.done_at.is_(None), ActionItem.reminded_at.is_(None), ActionItem.due_at.is_not(None),
        ActionItem.due_at < now)).all()
    base = (current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    for item in due:
        item.reminded_at = now
        link = f"{base}/admin/incidents/{item.incident_id}/postmortem"
        enqueue_message(kind="admin", channel="email", recipient=item.owner_email,
                        subject=_("Overdue action item: %(title)s", title=item.title),
                        text=_("The action item \"%(title)s\" from an incident review was due on %(due)s and is "
                               "not done yet. Mark it done, or change its plan, on the review:\n\n%(link)s",
                               title=item.title, due=item.due_at.date().isoformat(), link=link))
    db.session.commit()
    return len(due)
