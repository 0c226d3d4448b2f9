from __future__ import annotations

import secrets

from sqlalchemy import Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import SoftDeleteMixin, TimestampMixin


class Tenant(TimestampMixin, SoftDeleteMixin, db.Model):
    """A customer organisation. A private tenant's page needs its signed access link."""

    __tablename__ = "tenant"
    # AUTOINCREMENT: a purged tenant's id is never handed to the next one (PostgreSQL's sequences never reuse).
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    slug: Mapped[str] = mapped_column(String(80), unique=True, nullable=False)
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    private: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    # Bumped by "rotate access link": older signed links stop working.
    access_version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    # Part of what access links are signed with: new on create and on rotation, so no two tenants
    # (even one purged and one created after) ever accept each other's links.
    access_secret: Mapped[str] = mapped_column(String(64), default=lambda: secrets.token_hex(16), nullable=False)

    def __repr__(self) -> str:
        return f"<Tenant {self.slug}>"
