"""The audit log: who changed what, when, before and after."""
from __future__ import annotations

from dataclasses import dataclass

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


def entries(filters: dict, limit: int) -> list[AuditEntry]:
    """Newest first; `filters` may hold actor (substring), action, object_type, object_id."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    if filters.get("actor"):
        query = query.where(AuditEntry.actor.contains(filters["actor"][:320]))
    if filters.get("action"):
        query = query.where(AuditEntry.action == filters["action"][:64])
    if filters.get("object_type"):
        query = query.where(AuditEntry.object_type == filters["object_type"][:64])
    if filters.get("object_id"):
        query = query.where(AuditEntry.object_id == filters["object_id"][:64])
    return list(db.session.scalars(query.limit(limit)))
