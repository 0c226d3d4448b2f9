"""The incident response: who is paged (responders), how severities are run (policy), the internal timeline."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import SoftDeleteMixin, TimestampMixin, UTCDateTime, utcnow

SEVERITIES = ("sev1", "sev2", "sev3", "sev4")
# The severity an incident gets when none is given: from its impact.
SEVERITY_FOR_IMPACT = {"critical": "sev1", "major": "sev2", "minor": "sev3", "none": "sev4"}
# The roles of an incident's response team; each holds a responder id.
RESPONSE_ROLES = ("lead", "technical", "communications", "customer_service")
# note: written by a person; check: "checked, no change"; page, escalation, severity, reminder, alert (what the
# monitoring reported): recorded by the system.
NOTE_KINDS = ("note", "check", "page", "escalation", "severity", "reminder", "alert")
# The seed policy: sev1 and sev2 are checked every 30 minutes and escalate after two missed checks.
DEFAULT_POLICY = {
    "sev1": {"page_levels": [1], "check_minutes": 30, "escalate_after_missed": 2},
    "sev2": {"page_levels": [1], "check_minutes": 30, "escalate_after_missed": 2},
    "sev3": {"page_levels": [], "check_minutes": None, "escalate_after_missed": 2},
    "sev4": {"page_levels": [], "check_minutes": None, "escalate_after_missed": 2},
}


class Responder(TimestampMixin, SoftDeleteMixin, db.Model):
    """A person inside the company paged for incidents, on email, phone and/or a team chat robot.

    level: 1 is paged first, 2 on escalation, and so on. test: a drill pages test responders only.
    """

    __tablename__ = "responder"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(32), nullable=True)
    chat_kind: Mapped[str | None] = mapped_column(String(16), nullable=True)
    chat_url: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    level: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    test: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)


class SeverityPolicy(db.Model):
    """Per severity: the on-call levels paged at declaration, the check interval, when to escalate."""

    __tablename__ = "severity_policy"

    severity: Mapped[str] = mapped_column(String(8), primary_key=True)
    page_levels: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    # None: incidents of this severity need no periodic check.
    check_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    escalate_after_missed: Mapped[int] = mapped_column(Integer, default=2, nullable=False)


class IncidentNote(db.Model):
    """One internal entry of an incident's timeline: never public, never sent to subscribers."""

    __tablename__ = "incident_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(16), default="note", nullable=False)
    body: Mapped[str] = mapped_column(Text, default="", nullable=False)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("admin_user.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class ActionItem(db.Model):
    """A change the review decided on: what, who owns it (an email to remind), by when, and when it was done."""

    __tablename__ = "action_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"), nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    owner_email: Mapped[str] = mapped_column(String(320), nullable=False)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Set when the owner was reminded of the overdue item (once).
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
