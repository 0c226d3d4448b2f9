from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow

# logged: log mode (no provider configured) kept the message; nothing left the building.
DELIVERY_STATUSES = ("queued", "sending", "sent", "delivered", "failed", "suppressed", "logged")
FINAL_STATUSES = ("sent", "delivered", "failed", "suppressed", "logged")
# What a provider accepted: the only rows that count as "notified".
ACCEPTED_STATUSES = ("sent", "delivered")


class Delivery(db.Model):
    """The outbox: one row per (update, subscriber, channel).

    Written by set-based INSERT ... SELECT in the transaction that posts the
    update. Workers claim rows with a conditional UPDATE that sets a lease
    (`lease_until`); a row whose lease expired is claimable again. A row
    already `sent` is never sent again.

    kind: update (an incident update), confirm (a double opt-in message),
    test (send-a-test-to-me), admin (reminders/alerts to operators). Rows that
    are not for an update carry their destination in `recipient` and their
    rendered message in `payload`.
    """

    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("update_id", "subscriber_id", "channel", name="uq_delivery_update_subscriber_channel"),
        Index("ix_delivery_claim", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="update", nullable=False)
    update_id: Mapped[int | None] = mapped_column(ForeignKey("incident_update.id", ondelete="CASCADE"), nullable=True, index=True)
    subscriber_id: Mapped[int | None] = mapped_column(ForeignKey("subscriber.id", ondelete="CASCADE"), nullable=True, index=True)
    channel: Mapped[str] = mapped_column(String(16), nullable=False)
    recipient: Mapped[str | None] = mapped_column(String(500), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="queued", nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    claimed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    provider_id: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Rendered message (JSON text) for non-update rows and for log mode.
    payload: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    update: Mapped["IncidentUpdate | None"] = relationship()  # noqa: F821
    subscriber: Mapped["Subscriber | None"] = relationship()  # noqa: F821
