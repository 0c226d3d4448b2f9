from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import SoftDeleteMixin, TimestampMixin, UTCDateTime, utcnow

INCIDENT_STATUSES = ("investigating", "identified", "monitoring", "resolved")
MAINTENANCE_STATUSES = ("scheduled", "in_progress", "verifying", "completed")
IMPACTS = ("none", "minor", "major", "critical")
VISIBILITIES = ("public", "tenants", "drill")
CLOSED_STATUSES = ("resolved", "completed")
# Maintenance windows that are running: they hold their components "under maintenance".
ACTIVE_MAINTENANCE_STATUSES = ("in_progress", "verifying")

incident_tenant = Table(
    "incident_tenant",
    db.metadata,
    Column("incident_id", ForeignKey("incident.id", ondelete="CASCADE"), primary_key=True),
    Column("tenant_id", ForeignKey("tenant.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class IncidentComponent(db.Model):
    """A component affected by an incident, with the status the incident gives it."""

    __tablename__ = "incident_component"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"), primary_key=True)
    component_id: Mapped[int] = mapped_column(ForeignKey("component.id", ondelete="CASCADE"), primary_key=True, index=True)
    status: Mapped[str] = mapped_column(String(32), default="operational", nullable=False)

    component: Mapped["Component"] = relationship()  # noqa: F821


class Incident(TimestampMixin, SoftDeleteMixin, db.Model):
    """An incident or, with kind == "maintenance", a scheduled maintenance window.

    visibility: public (everyone, or only the listed tenants' subscribers when
    tenants are set), tenants (shown only on the listed tenants' pages), drill
    (admins and the test audience only). A draft is invisible and silent.
    """

    __tablename__ = "incident"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="incident", nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(300), nullable=False)
    # {"zh_Hans": "..."}: per-locale names; `name` is the default locale's.
    name_translations: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)
    status: Mapped[str] = mapped_column(String(32), default="investigating", nullable=False, index=True)
    impact: Mapped[str] = mapped_column(String(16), default="none", nullable=False)
    visibility: Mapped[str] = mapped_column(String(16), default="public", nullable=False)
    draft: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    monitoring_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_public_update_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    stale_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("admin_user.id"), nullable=True)
    # Scheduled maintenance window.
    scheduled_for: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)
    scheduled_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    auto_transition: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    notify_on_start: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    notify_on_complete: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    # Postmortem: Markdown, a draft until published.
    postmortem_body: Mapped[str] = mapped_column(Text, default="", nullable=False)
    postmortem_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Set when the incident was opened from an upstream feed entry.
    upstream_feed_id: Mapped[int | None] = mapped_column(ForeignKey("upstream_feed.id"), nullable=True)
    upstream_entry_id: Mapped[str | None] = mapped_column(String(500), nullable=True)
    upstream_link: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    # The response (models/response.py): severity, the team ({role: responder id}), the status checks.
    severity: Mapped[str] = mapped_column(String(8), default="sev3", nullable=False)
    roles: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)
    # The last "checked" entry; with the last public update it starts the next check interval.
    last_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Missed checks already reminded since `last_check_at` (or the last public update); reset by a check.
    missed_checks: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    # The highest on-call level paged so far (0: nobody).
    paged_level: Mapped[int] = mapped_column(Integer, default=0, nullable=False)

    tenants: Mapped[list["Tenant"]] = relationship(secondary=incident_tenant, order_by="Tenant.name")  # noqa: F821
    affected: Mapped[list[IncidentComponent]] = relationship(cascade="all, delete-orphan")
    updates: Mapped[list["IncidentUpdate"]] = relationship(
        back_populates="incident", order_by="IncidentUpdate.display_at.desc(), IncidentUpdate.id.desc()",
        cascade="all, delete-orphan")

    @property
    def is_maintenance(self) -> bool:
        return self.kind == "maintenance"

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_STATUSES

    @property
    def components(self) -> list:
        return [a.component for a in self.affected]

    def localized_name(self, locale: str | None) -> str:
        return (locale and self.name_translations.get(locale)) or self.name

    def __repr__(self) -> str:
        return f"<Incident {self.id} {self.name!r} {self.status}>"


class IncidentUpdate(db.Model):
    """One entry of an incident's timeline; what subscribers are notified of."""

    __tablename__ = "incident_update"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(32), nullable=False)
    body: Mapped[str] = mapped_column(Text, default="", nullable=False)
    # {"zh_Hans": "..."}: per-locale bodies; `body` is the default locale's.
    body_translations: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)
    # [{"code": id, "name": ..., "old_status": ..., "new_status": ...}]
    affected_components: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    deliver_notifications: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False)
    display_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("admin_user.id"), nullable=True)
    # Fan-out bookkeeping: none | pending | done; how many delivery rows it wrote.
    fanout_state: Mapped[str] = mapped_column(String(16), default="none", nullable=False)
    fanout_count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)

    incident: Mapped[Incident] = relationship(back_populates="updates")

    def localized_body(self, locale: str | None) -> str:
        return (locale and self.body_translations.get(locale)) or self.body


class Playbook(TimestampMixin, SoftDeleteMixin, db.Model):
    """A playbook: a named notice with {placeholders} and per-locale text."""

    __tablename__ = "template"  # the table keeps its first name; the concept is a playbook
    __table_args__ = (UniqueConstraint("name", name="uq_template_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    impact: Mapped[str] = mapped_column(String(16), default="minor", nullable=False)
    status: Mapped[str] = mapped_column(String(32), default="investigating", nullable=False)
    # {"en": {"title": ..., "body": ...}, "zh_Hans": {...}}
    texts: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)
    # Default values for placeholders: {"hotline": "400-...", ...}
    defaults: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)
    component_ids: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    # Placeholders the notice reads well without ({workaround}); every other one must have a value.
    optional_placeholders: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
