"""What /readyz and /metrics report: the schema revision, the outbox by status, the public data's version."""
from __future__ import annotations

from functools import lru_cache

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, select

from ..extensions import db
from ..models import DELIVERY_STATUSES, Delivery, SiteState


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


def site_version() -> int:
    return db.session.execute(select(SiteState.version).where(SiteState.id == 1)).scalar() or 0


def forget() -> None:
    """After a failed read (the database is down): leave the session usable."""
    db.session.rollback()
