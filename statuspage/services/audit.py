"""The audit log: who changed what, when, before and after."""
from __future__ import annotations

from flask import g, has_request_context

from ..extensions import db
from ..models import AuditEntry


def current_actor() -> tuple[str, int | None, str]:
    if has_request_context():
        actor = getattr(g, "actor", None)
        if actor:
            return actor, getattr(g, "actor_user_id", None), getattr(g, "actor_via", "web")
        try:
            from flask_login import current_user

            if current_user and current_user.is_authenticated:
                return current_user.email, current_user.id, "web"
        except Exception:
            pass
    return "system", None, "system"


def record(action: str, object_type: str, object_id=None, *, before: dict | None = None,
           after: dict | None = None, summary: str = "") -> AuditEntry:
    """Add an audit entry to the current transaction (committed with the change itself)."""
    actor, user_id, via = current_actor()
    entry = AuditEntry(actor=actor, actor_user_id=user_id, via=via, action=action, object_type=object_type,
                       object_id=None if object_id is None else str(object_id), summary=summary,
                       before=before, after=after)
    db.session.add(entry)
    return entry
