"""The audit log: who changed what, when, before and after."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select

from ..extensions import db
from ..models import AuditEntry

VIA = ("web", "api", "cli", "system")


@dataclass(frozen=True)
class Actor:
    """Who a change is made by: the entry point builds it (admin session, API token, CLI, worker)."""

    name: str
    user_id: int | None = None
    via: str = "web"

    @classmethod
    def system(cls) -> Actor:
        """The product itself: the worker, maintenance windows moving by the clock, upstream drafts."""
        return cls("system", None, "system")

    @classmethod
    def cli(cls) -> Actor:
        return cls("cli", None, "cli")

    @classmethod
    def of(cls, user, via: str = "web") -> Actor:
        """An admin user acting through the admin pages (`web`) or an API token (`api`)."""
        return cls(user.email, user.id, via)


def record(action: str, object_type: str, object_id=None, *, actor: Actor | None = None,
           before: dict | None = None, after: dict | None = None, summary: str = "") -> AuditEntry:
    """Add an audit entry to the current transaction (committed with the change itself).

    `actor` None is recorded as the system; every caller that acts for a person passes one.
    """
    actor = actor or Actor.system()
    entry = AuditEntry(actor=actor.name, actor_user_id=actor.user_id, via=actor.via, action=action,
                       object_type=object_type, object_id=None if object_id is None else str(object_id),
                       summary=summary, before=before, after=after)
    db.session.add(entry)
    return entry


# Sign-ins and their second factor: many a day, rarely what an operator looks for.
SIGN_IN_ACTIONS = ("login", "totp_failure", "use_recovery_code")


def _day(value) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def entries(filters: dict, limit: int, *, before_id: int | None = None) -> list[AuditEntry]:
    """Newest first; `filters` may hold actor (substring, or exact when `actor_exact`), action,
    object_type, object_id, since / until (dates, UTC, inclusive) and sign_ins ("1": include them;
    without it sign-ins are left out unless the action asked for is one)."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    if filters.get("actor"):
        actor = filters["actor"][:320]
        query = query.where(AuditEntry.actor == actor if filters.get("actor_exact") else AuditEntry.actor.contains(actor))
    if filters.get("action"):
        query = query.where(AuditEntry.action == filters["action"][:64])
    elif filters.get("sign_ins") not in ("1", "on", "true"):
        query = query.where(AuditEntry.action.not_in(SIGN_IN_ACTIONS))
    if filters.get("object_type"):
        query = query.where(AuditEntry.object_type == filters["object_type"][:64])
    if filters.get("object_id"):
        query = query.where(AuditEntry.object_id == filters["object_id"][:64])
    since, until = _day(filters.get("since")), _day(filters.get("until"))
    if since:
        query = query.where(AuditEntry.created_at >= datetime.combine(since, time(), timezone.utc))
    if until:
        query = query.where(AuditEntry.created_at < datetime.combine(until + timedelta(days=1), time(), timezone.utc))
    if before_id:
        query = query.where(AuditEntry.id < before_id)
    return list(db.session.scalars(query.limit(limit)))


def filter_choices() -> dict[str, list[str]]:
    """The actors, actions and object types the log holds, for the filters' select boxes."""
    def distinct(column) -> list[str]:
        return sorted(v for v in db.session.scalars(select(column).distinct().limit(500)) if v)

    return {"actor": distinct(AuditEntry.actor), "action": distinct(AuditEntry.action),
            "object_type": distinct(AuditEntry.object_type)}
