from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import SoftDeleteMixin, TimestampMixin, UTCDateTime, utcnow

UPSTREAM_KINDS = ("rss", "atom", "statuspage")


class UpstreamFeed(TimestampMixin, SoftDeleteMixin, db.Model):
    """A third party's status feed, polled with conditional GET."""

    __tablename__ = "upstream_feed"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    url: Mapped[str] = mapped_column(String(1000), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), default="rss", nullable=False)
    interval_seconds: Mapped[int] = mapped_column(Integer, default=120, nullable=False)
    component_ids: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    etag: Mapped[str | None] = mapped_column(String(500), nullable=True)
    last_modified: Mapped[str | None] = mapped_column(String(200), nullable=True)
    last_fetch_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    next_fetch_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    entries_seen: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    # operational | degraded_performance | partial_outage | major_outage | unknown
    state: Mapped[str] = mapped_column(String(32), default="unknown", nullable=False)


class UpstreamEntry(db.Model):
    """An upstream entry seen once, by GUID, so each event is processed once."""

    __tablename__ = "upstream_entry"
    __table_args__ = (UniqueConstraint("feed_id", "guid", name="uq_upstream_entry_feed_guid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("upstream_feed.id", ondelete="CASCADE"), nullable=False)
    guid: Mapped[str] = mapped_column(String(500), nullable=False)
    title: Mapped[str] = mapped_column(Text, default="", nullable=False)
    link: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    state: Mapped[str] = mapped_column(String(32), default="open", nullable=False)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"), nullable=True)
