"""What /readyz and /metrics report: the schema revision, the outbox by status, the public data's version."""
from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, select

from ..extensions import db
from ..models import DELIVERY_STATUSES, FINAL_STATUSES, Delivery, SiteState, utcnow


@lru_cache(maxsize=4)
def migration_heads(directory: str) -> tuple[str, ...]:
    cfg = Config()
    cfg.set_main_option("script_location", directory)
    return tuple(sorted(ScriptDirectory.from_config(cfg).get_heads()))


def database_revision() -> tuple[str, ...]:
    """The revisions the database is at; raises when it cannot be reached."""
    with db.engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")
        return tuple(sorted(MigrationContext.configure(conn).get_current_heads()))


def outbox_counts() -> dict[str, int]:
    """Delivery rows by status (every status present, zero when none)."""
    rows = db.session.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all()
    return {s: 0 for s in DELIVERY_STATUSES} | {status: n for status, n in rows}


RATE_WINDOW_SECONDS = 60


def delivery_lag_and_rates() -> tuple[float, dict[tuple[str, str], float]]:
    """(seconds the oldest due row has waited, {(channel, status): rows finished per second over the last minute})."""
    now = utcnow()
    waiting = db.session.execute(select(func.min(Delivery.next_attempt_at)).where(
        ((Delivery.status == "queued") & (Delivery.next_attempt_at <= now)) | (Delivery.status == "sending"))).scalar()
    lag = max(0.0, (now - waiting).total_seconds()) if waiting is not None else 0.0
    since = now - timedelta(seconds=RATE_WINDOW_SECONDS)
    rows = db.session.execute(
        select(Delivery.channel, Delivery.status, func.count())
        .where(Delivery.status.in_(FINAL_STATUSES), Delivery.updated_at >= since)
        .group_by(Delivery.channel, Delivery.status)).all()
    return lag, {(channel, status): round(n / RATE_WINDOW_SECONDS, 3) for channel, status, n in rows}


def site_version() -> int:
    return db.session.execute(select(SiteState.version).where(SiteState.id == 1)).scalar() or 0


def forget() -> None:
    """After a failed read (the database is down): leave the session usable."""
    db.session.rollback()
