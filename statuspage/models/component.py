from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import SoftDeleteMixin, TimestampMixin

# Statuspage's component statuses, worst last.
COMPONENT_STATUSES = (
    "operational",
    "under_maintenance",
    "degraded_performance",
    "partial_outage",
    "major_outage",
)
COMPONENT_SEVERITY = {s: i for i, s in enumerate(COMPONENT_STATUSES)}


class ComponentGroup(TimestampMixin, SoftDeleteMixin, db.Model):
    __tablename__ = "component_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    position: Mapped[int] = mapped_column(Integer, default=0, nullable=False)

    components: Mapped[list["Component"]] = relationship(back_populates="group", order_by="Component.position")


class Component(TimestampMixin, SoftDeleteMixin, db.Model):
    """Something customers depend on. A third-party component mirrors an upstream feed.

    `tenant_id` set: the component exists only on that tenant's page.
    """

    __tablename__ = "component"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    status: Mapped[str] = mapped_column(String(32), default="operational", nullable=False)
    position: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("component_group.id"), nullable=True, index=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.id"), nullable=True, index=True)
    showcase: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    only_show_if_degraded: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    show_uptime: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    start_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    third_party: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    upstream_id: Mapped[int | None] = mapped_column(ForeignKey("upstream_feed.id"), nullable=True, index=True)

    group: Mapped[ComponentGroup | None] = relationship(back_populates="components")

    def __repr__(self) -> str:
        return f"<Component {self.id} {self.name!r} {self.status}>"
