"""Measure the fan-out INSERT ... SELECT and the recipient count at scale.

    createdb -h 127.0.0.1 -U postgres sp_bench
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/sp_bench \
        .venv/bin/python bench/fanout_queries.py 1000000

Seeds N confirmed email subscribers of one tenant (plus N/10 of another) with
set-based SQL, then times count_recipients, the inline INSERT ... SELECT, and
the post_update path that defers a large audience (fanout_state="pending").
The database is wiped first: point it at a scratch database only.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(n: int) -> None:
    from flask_migrate import upgrade
    from sqlalchemy import text

    from statuspage import create_app
    from statuspage.extensions import db
    from statuspage.models import Incident, IncidentUpdate, Tenant
    from statuspage.services.fanout import count_recipients, fan_out_update, insert_deliveries

    url = os.environ["DATABASE_URL"]
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        upgrade()
        a, b = Tenant(name="Alpha", slug="alpha"), Tenant(name="Beta", slug="beta")
        db.session.add_all([a, b])
        db.session.commit()
        started = time.perf_counter()
        for tenant, count in ((a, n), (b, n // 10)):
            db.session.execute(text(
                "INSERT INTO subscriber (channel, address, tenant_id, locale, all_components, confirmed, opted_out,"
                " test_audience, token, confirm_attempts, source, created_at, updated_at)"
                " SELECT 'email', 'u' || g || '@' || :slug || '.example', :tid, 'en', true, true, false, false,"
                " :slug || '-' || g, 0, 'import', now(), now() FROM generate_series(1, :n) g"),
                {"slug": tenant.slug, "tid": tenant.id, "n": count})
        db.session.commit()
        print(f"seeded {n + n // 10} subscribers in {time.perf_counter() - started:.1f} s")

        def incident(name):
            inc = Incident(name=name, status="investigating", impact="major")
            inc.tenants = [a]
            db.session.add(inc)
            db.session.flush()
            upd = IncidentUpdate(incident_id=inc.id, status="investigating", body="x")
            db.session.add(upd)
            db.session.flush()
            return inc, upd

        inc, upd = incident("inline")
        t = time.perf_counter()
        counts = count_recipients(inc)
        print(f"count_recipients: {counts} in {time.perf_counter() - t:.3f} s")
        t = time.perf_counter()
        written = insert_deliveries(upd.id, inc)
        db.session.commit()
        print(f"inline INSERT ... SELECT: {written} rows in {time.perf_counter() - t:.3f} s")
        t = time.perf_counter()
        again = insert_deliveries(upd.id, inc)
        db.session.commit()
        print(f"second run (idempotent): {again} rows in {time.perf_counter() - t:.3f} s")

        inc2, upd2 = incident("deferred")
        t = time.perf_counter()
        expected = fan_out_update(upd2)
        db.session.commit()
        print(f"post_update path: state={upd2.fanout_state}, expected {expected}, "
              f"admin transaction {time.perf_counter() - t:.3f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
