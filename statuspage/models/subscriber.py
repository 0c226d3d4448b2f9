from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Table, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..crypto import EncryptedString
from ..extensions import db
from .admin import AuditEntry
from .base import SoftDeleteMixin, TimestampMixin, UTCDateTime, utcnow

subscriber_component = Table(
    "subscriber_component",
    db.metadata,
    Column("subscriber_id", ForeignKey("subscriber.id", ondelete="CASCADE"), primary_key=True),
    Column("component_id", ForeignKey("component.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Subscriber(TimestampMixin, SoftDeleteMixin, db.Model):
    """One destination on one channel: an email address, an E.164 number or a webhook URL.

    Unique per (channel, address, tenant); `tenant_id` NULL means the main page.
    `all_components` true: every component, else the rows of subscriber_component.
    """

    __tablename__ = "subscriber"
    __table_args__ = (
        Index("uq_subscriber_destination", "channel", "address", func.coalesce(Column("tenant_id"), 0), unique=True),
        Index("ix_subscriber_fanout", "tenant_id", "confirmed", "opted_out"),
        # The admin's search by part of an address (LIKE '%…%'): trigrams on PostgreSQL, a plain index elsewhere.
        Index("ix_subscriber_address_search", "address", postgresql_using="gin",
              postgresql_ops={"address": "gin_trgm_ops"}),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), nullable=False)
    address: Mapped[str] = mapped_column(String(500), nullable=False)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.id"), nullable=True)
    locale: Mapped[str] = mapped_column(String(16), default="en", nullable=False)
    all_components: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    # Denormalised flags so the fan-out query filters on plain booleans.
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The admins' own audience for drills and "send a test".
    test_audience: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False, index=True)
    # Random token for manage/unsubscribe links.
    token: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    confirm_code_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    confirm_attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    confirm_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    webhook_secret: Mapped[str | None] = mapped_column(EncryptedString(255), nullable=True)
    source: Mapped[str] = mapped_column(String(16), default="web", nullable=False)

    tenant: Mapped["Tenant | None"] = relationship()  # noqa: F821
    components: Mapped[list["Component"]] = relationship(secondary=subscriber_component)  # noqa: F821

    def __repr__(self) -> str:
        return f"<Subscriber {self.id} {self.channel}:{self.address}>"

    def set_opted_out(self, opted_out: bool = True) -> None:
        """The one place the opt-out flag changes: unsubscribe link, STOP/START, a provider's refusal."""
        if self.opted_out != opted_out:
            self.opted_out = opted_out
            self.opted_out_at = utcnow() if opted_out else None

    @classmethod
    def opt_out(cls, subscriber_id: int) -> None:
        """Opt one subscription out (the unsubscribe link, or the provider says the recipient opted out)."""
        sub = db.session.get(cls, subscriber_id)
        if sub is not None:
            sub.set_opted_out(True)
            db.session.flush()

    @classmethod
    def disable(cls, subscriber_id: int, reason: str) -> None:
        """The provider says the destination is gone (a deleted chat robot): stop sending, say why in the audit log."""
        sub = db.session.get(cls, subscriber_id)
        if sub is None or sub.opted_out:
            return
        sub.set_opted_out(True)
        db.session.add(AuditEntry(actor="system", via="system", action="subscriber.disabled", object_type="subscriber",
                                  object_id=str(sub.id), summary=f"Disabled {sub.channel} subscriber: {reason}"[:2000],
                                  before={"opted_out": False}, after={"opted_out": True}))
        db.session.flush()

    @classmethod
    def opt_out_number(cls, e164: str, opted_out: bool = True) -> int:
        """STOP (or START) from a handset: applies to every subscription of that number."""
        subs = db.session.query(cls).filter_by(channel="sms", address=e164).all()
        for sub in subs:
            sub.set_opted_out(opted_out)
        db.session.flush()
        return len(subs)
