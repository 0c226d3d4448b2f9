from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow


class InboundMessage(db.Model):
    """A Twilio inbound message already acted on, by its MessageSid: a replayed STOP or START,
    however well signed, changes nothing the second time."""

    __tablename__ = "inbound_message"

    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False, index=True)
