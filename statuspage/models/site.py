from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow


class SiteState(db.Model):
    """A single row: the version of everything the public sees.

    Every write to a public model bumps it in the same transaction, so every
    web worker knows when its rendered pages are stale with one cheap query.
    """

    __tablename__ = "site_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class Setting(db.Model):
    """Admin-editable settings (page name, hotline, default placeholders...)."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[dict | list | str | int | None] = mapped_column(JSON, nullable=True)


class TenantState(db.Model):
    """Per tenant: the version of what only that tenant's page shows (its tenants-only incidents).

    A change that only the listed tenants can see bumps their rows instead of
    `site_state`, so the anonymous page's ETag, Last-Modified and the public
    site version do not move when a private tenant's incident does.
    """

    __tablename__ = "tenant_state"

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
