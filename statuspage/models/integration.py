"""Inbound monitoring: an integration (Alertmanager, Grafana, generic JSON), its alert groups and alerts.

The integration is reached at a secret URL; only the secret's SHA-256 is kept.
An alert group (Alertmanager's and Grafana's `groupKey`) has at most one open
draft incident at a time; an alert is known by its fingerprint, so a repeat
of a firing alert changes nothing.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import SoftDeleteMixin, TimestampMixin, UTCDateTime, utcnow

INTEGRATION_KINDS = ("alertmanager", "grafana", "webhook")
# What a resolved alert does to its component: put it back, or only say so on the draft.
RESOLVE_MODES = ("restore", "propose")
ALERT_STATES = ("firing", "resolved")


class Integration(TimestampMixin, SoftDeleteMixin, db.Model):
    __tablename__ = "integration"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    # The first characters of the secret, so an operator can tell two URLs apart.
    token_hint: Mapped[str] = mapped_column(String(8), nullable=False)
    # alert label value -> component id
    component_map: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)
    component_label: Mapped[str] = mapped_column(String(100), default="component", nullable=False)
    severity_label: Mapped[str] = mapped_column(String(100), default="severity", nullable=False)
    # severity label value -> component status (the defaults in services.alerts fill the rest)
    severity_map: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)
    resolve_mode: Mapped[str] = mapped_column(String(16), default="restore", nullable=False)
    last_received_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    received_count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)


class AlertGroup(db.Model):
    """One group of alerts as the monitoring tool groups them, and the draft it opened."""

    __tablename__ = "alert_group"
    __table_args__ = (UniqueConstraint("integration_id", "group_key", name="uq_alert_group_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integration.id", ondelete="CASCADE"), nullable=False)
    group_key: Mapped[str] = mapped_column(String(255), nullable=False)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class Alert(db.Model):
    """An alert by its fingerprint: firing or resolved, the component it moved and from which status."""

    __tablename__ = "alert"
    __table_args__ = (UniqueConstraint("integration_id", "fingerprint", name="uq_alert_fingerprint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integration.id", ondelete="CASCADE"), nullable=False)
    group_id: Mapped[int] = mapped_column(ForeignKey("alert_group.id", ondelete="CASCADE"), nullable=False,
                                          index=True)
    fingerprint: Mapped[str] = mapped_column(String(128), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    component_id: Mapped[int | None] = mapped_column(ForeignKey("component.id", ondelete="SET NULL"), nullable=True,
                                                     index=True)
    component_status: Mapped[str | None] = mapped_column(String(32), nullable=True)
    summary: Mapped[str] = mapped_column(Text, default="", nullable=False)
    labels: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False)
