"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text


def test_migrations_match_the_models(app, db):
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(ctx, db.metadata)
    # The functional unique index on subscribers is created by hand in 0001.
    diff = [d for d in diff if not (d[0] in ("add_index", "remove_index") and d[1].name == "uq_subscriber_destination")]
    assert diff == [], f"models and migrations disagree: {diff}"


def test_chinese_text_round_trips(app, db):
    from statuspage.models import Tenant

    db.session.add(Tenant(name="华东客户 · 提现", slug="huadong"))
    db.session.commit()
    db.session.expire_all()
    assert db.session.query(Tenant).filter_by(slug="huadong").one().name == "华东客户 · 提现"


def test_timestamps_come_back_timezone_aware_utc(app, db):
    from statuspage.models import Tenant

    db.session.add(Tenant(name="A", slug="a"))
    db.session.commit()
    db.session.expire_all()
    created = db.session.query(Tenant).one().created_at
    assert created.tzinfo is not None and created.utcoffset().total_seconds() == 0


def test_public_write_bumps_the_site_version(app, db):
    from statuspage.models import Component

    before = db.session.execute(text("SELECT version FROM site_state")).scalar()
    db.session.add(Component(name="API"))
    db.session.commit()
    after = db.session.execute(text("SELECT version FROM site_state")).scalar()
    assert after == before + 1
