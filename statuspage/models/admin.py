from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..crypto import EncryptedString
from ..extensions import db
from .base import SoftDeleteMixin, TimestampMixin, UTCDateTime, utcnow

ROLES = ("viewer", "responder", "admin")
ROLE_RANK = {r: i for i, r in enumerate(ROLES)}


class AdminUser(UserMixin, TimestampMixin, SoftDeleteMixin, db.Model):
    __tablename__ = "admin_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    password_hash: Mapped[str] = mapped_column(String(300), nullable=False)
    role: Mapped[str] = mapped_column(String(16), default="admin", nullable=False)
    # Nothing sets it yet (every admin is "en"); mapped so the models keep matching the migrations.
    locale: Mapped[str] = mapped_column(String(16), default="en", nullable=False)
    # Part of the session identity: bumping it logs the user out everywhere.
    session_version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    totp_secret: Mapped[str | None] = mapped_column(EncryptedString(255), nullable=True)
    # Second-factor guard: the seed being enrolled (until a code confirms it), the last time-step
    # accepted (a code works once), failures since the last success and the lockout they earned.
    totp_pending_secret: Mapped[str | None] = mapped_column(EncryptedString(255), nullable=True)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    totp_failures: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    totp_last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    totp_locked: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    recovery_codes: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    # Unused: mapped only so the models keep matching the migrations.
    phone: Mapped[str | None] = mapped_column(String(32), nullable=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def has_role(self, role: str) -> bool:
        return ROLE_RANK.get(self.role, -1) >= ROLE_RANK[role]


class ApiToken(TimestampMixin, db.Model):
    """An admin API token; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("admin_user.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    prefix: Mapped[str] = mapped_column(String(16), nullable=False)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    user: Mapped[AdminUser] = relationship()


class AuditEntry(db.Model):
    """Who changed what, when, with before/after snapshots."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False, index=True)
    actor: Mapped[str] = mapped_column(String(320), nullable=False)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("admin_user.id"), nullable=True)
    via: Mapped[str] = mapped_column(String(16), default="web", nullable=False)
    action: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    object_type: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    object_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    summary: Mapped[str] = mapped_column(Text, default="", nullable=False)
    before: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict | None] = mapped_column(JSON, nullable=True)
