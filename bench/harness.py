"""What the bench scripts share: a fresh database, seeded data, an API token, one JSON line out.

Not a test module and never imported by the app: `bench/` is run by hand.
Every helper works on a database the bench owns (sp_bench, sp_bench_ref by
default) and empties it first: never point one at data you care about.
"""
from __future__ import annotations

import json
import os
import random
import resource
import secrets
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/"
VENV_BIN = ROOT / ".venv" / "bin"


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def emit(figures: dict) -> None:
    """The one JSON line a bench script prints (stdout); progress goes to stderr."""
    figures = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), **figures,
               "loadavg_end": load_average(), "cores": os.cpu_count()}
    print(json.dumps(figures, sort_keys=False), flush=True)


def say(*parts) -> None:
    print(time.strftime("%H:%M:%S"), *parts, file=sys.stderr, flush=True)


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def pg_url(name: str) -> str:
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], capture_output=True)
    return PG + name


def make_app(url: str, **config):
    """The production app (not TESTING) on `url`, with no embedded worker in this process."""
    os.environ.setdefault("STATUSPAGE_INSTANCE", str(ROOT / "bench" / ".instance"))
    from statuspage import create_app

    base = {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "EMBEDDED_WORKER": False,
            "AUTO_MIGRATE": False, "RATELIMIT_ENABLED": False, "PUBLIC_BASE_URL": "http://status.bench"}
    from statuspage.config import _engine_options

    base["SQLALCHEMY_ENGINE_OPTIONS"] = _engine_options(url)
    return create_app({**base, **config})


def fresh_schema(app) -> None:
    """Empty the database and apply every migration."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from statuspage.extensions import db

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("DROP SCHEMA public CASCADE"))
            db.session.execute(text("CREATE SCHEMA public"))
            db.session.commit()
        upgrade()
        db.session.remove()


def api_token(app) -> str:
    """An admin and a fresh admin API token (the raw value)."""
    from statuspage.extensions import db
    from statuspage.models import AdminUser
    from statuspage.services.accounts import issue_api_token

    with app.app_context():
        user = db.session.query(AdminUser).filter_by(email="bench@localhost").one_or_none()
        if user is None:
            user = AdminUser(email="bench@localhost", name="bench", role="admin", password_hash="!")
            db.session.add(user)
            db.session.flush()
        _token, raw = issue_api_token(user, name="bench")
        db.session.commit()
        return raw


def seed_catalog(app, components: int, tenants: int, incidents: int, seed: int = 6) -> dict:
    """Demo data plus generated components, tenants and resolved incidents with timelines (through the ORM)."""
    from statuspage.demo import load_demo
    from statuspage.extensions import db
    from statuspage.models import Component, ComponentGroup, Incident, IncidentComponent, IncidentUpdate, Tenant, utcnow

    rnd = random.Random(seed)
    with app.app_context():
        load_demo()
        db.session.flush()
        now = utcnow()
        have = db.session.query(Component).count()
        groups = [ComponentGroup(name=f"Region {g}", position=10 + g) for g in range(5)]
        db.session.add_all(groups)
        db.session.flush()
        for n in range(max(0, components - have)):
            db.session.add(Component(name=f"Service {n + 1}", group_id=groups[n % 5].id, position=n,
                                     created_at=now - timedelta(days=120)))
        for n in range(max(0, tenants - db.session.query(Tenant).count())):
            db.session.add(Tenant(name=f"Customer {n + 1}", slug=f"customer-{n + 1}", private=n % 2 == 0))
        db.session.flush()
        comp_ids = [c.id for c in db.session.query(Component).filter(Component.tenant_id.is_(None))]
        for n in range(max(0, incidents - db.session.query(Incident).count())):
            started = now - timedelta(days=rnd.uniform(1, 89), minutes=rnd.randint(0, 600))
            incident = Incident(name=f"Elevated errors on service {n + 1}", status="resolved",
                                impact=rnd.choice(["minor", "major", "critical"]), started_at=started,
                                resolved_at=started + timedelta(hours=1), created_at=started,
                                last_public_update_at=started + timedelta(hours=1))
            for cid in rnd.sample(comp_ids, 2):
                incident.affected.append(IncidentComponent(component_id=cid, status="partial_outage"))
            db.session.add(incident)
            db.session.flush()
            for k, st in enumerate(("investigating", "identified", "resolved")):
                at = started + timedelta(minutes=20 * k)
                db.session.add(IncidentUpdate(incident_id=incident.id, status=st, created_at=at, display_at=at,
                                              body=f"Step {k + 1}: we are working on it. Call 400-820-8820.",
                                              deliver_notifications=False))
        db.session.commit()
        counts = {"components": db.session.query(Component).count(), "tenants": db.session.query(Tenant).count(),
                  "incidents": db.session.query(Incident).count()}
        db.session.remove()
        return counts


def seed_subscribers_sql(app, total: int, tenants: int, components: int, seed: int = 6,
                         big_tenant_share: float = 0.1) -> dict:
    """`total` confirmed subscribers with set-based SQL (generate_series on PostgreSQL, a recursive CTE on SQLite).

    Two thirds email, one third SMS; tenant 1 holds `big_tenant_share` of them, the rest spread over the
    other tenants; half follow every component, the other half one to three random components.
    Creates the tenants and components it needs when missing.
    """
    from sqlalchemy import text

    from statuspage.extensions import db
    from statuspage.models import Component, Tenant

    with app.app_context():
        for n in range(max(0, tenants - db.session.query(Tenant).count())):
            db.session.add(Tenant(name=f"Tenant {n + 1}", slug=f"tenant-{n + 1}"))
        for n in range(max(0, components - db.session.query(Component).count())):
            db.session.add(Component(name=f"Part {n + 1}", position=n))
        db.session.commit()
        tenant_ids = [t.id for t in db.session.query(Tenant).order_by(Tenant.id)][:tenants]
        comp_ids = [c.id for c in db.session.query(Component).order_by(Component.id)][:components]
        pg = db.engine.dialect.name == "postgresql"
        big = int(total * big_tenant_share)
        # tenant for row n: the big tenant for n <= big, else one of the others round-robin.
        others = len(tenant_ids) - 1
        tenant_expr = (f"CASE WHEN n <= {big} THEN {tenant_ids[0]} "
                       f"ELSE {tenant_ids[1]} + ((n - {big}) % {others}) END")
        channel = "CASE WHEN n % 3 = 0 THEN 'sms' ELSE 'email' END"
        address = ("CASE WHEN n % 3 = 0 THEN '+1415' || lpad(CAST(n AS TEXT), 7, '0') "
                   "ELSE 'user' || n || '@example.com' END") if pg else (
                   "CASE WHEN n % 3 = 0 THEN '+1415' || substr('0000000' || n, -7, 7) "
                   "ELSE 'user' || n || '@example.com' END")
        now = "now()" if pg else "datetime('now')"
        true, false = ("true", "false") if pg else ("1", "0")
        # Tenant ids above are the sequential ids of freshly made tenants, so the arithmetic stays inside them.
        assert tenant_ids == list(range(tenant_ids[0], tenant_ids[0] + len(tenant_ids)))
        cols = ("channel, address, tenant_id, locale, all_components, confirmed, confirmed_at, opted_out, "
                "test_audience, token, confirm_attempts, source, created_at, updated_at")
        values = (f"{channel}, {address}, {tenant_expr}, CASE WHEN n % 5 = 0 THEN 'zh_Hans' ELSE 'en' END, "
                  f"CASE WHEN n % 2 = 0 THEN {true} ELSE {false} END, {true}, {now}, {false}, {false}, "
                  f"'t' || n, 0, 'import', {now}, {now}")
        started = time.monotonic()
        if pg:
            db.session.execute(text(f"INSERT INTO subscriber ({cols}) SELECT {values} "
                                    f"FROM generate_series(1, {total}) AS n"))
        else:
            db.session.execute(text(f"WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {total}) "
                                    f"INSERT INTO subscriber ({cols}) SELECT {values} FROM s"))
        # Followers of chosen components: 1 to 3 pseudo-random components each (deterministic per id).
        k = len(comp_ids)
        c0 = comp_ids[0]
        pick = [f"{c0} + ((id * {m}) % {k})" for m in (7, 13, 31)]
        for i, expr in enumerate(pick):
            cond = "" if i == 0 else f" AND id % {i + 2} = 0"
            db.session.execute(text(
                f"INSERT INTO subscriber_component (subscriber_id, component_id) SELECT id, {expr} FROM subscriber "
                f"WHERE all_components = {false}{cond} ON CONFLICT DO NOTHING"))
        db.session.commit()
        if pg:
            db.session.execute(text("ANALYZE subscriber"))
            db.session.execute(text("ANALYZE subscriber_component"))
            db.session.commit()
        seeded = {"subscribers": total, "tenants": len(tenant_ids), "components": k,
                  "big_tenant_id": tenant_ids[0], "big_tenant_subscribers": big,
                  "seed_seconds": round(time.monotonic() - started, 1)}
        db.session.remove()
        return seeded


def open_incident(app, tenant_ids: list[int], component_ids: list[int], name: str = "Withdrawals failing") -> int:
    """A public incident with no notification sent yet; returns its id."""
    from statuspage.extensions import db
    from statuspage.models import Incident, IncidentComponent, Tenant

    with app.app_context():
        incident = Incident(name=name, status="investigating", impact="major")
        for cid in component_ids:
            incident.affected.append(IncidentComponent(component_id=cid, status="major_outage"))
        if tenant_ids:
            incident.tenants = [db.session.get(Tenant, t) for t in tenant_ids]
            incident.visibility = "tenants"
        db.session.add(incident)
        db.session.commit()
        iid = incident.id
        db.session.remove()
        return iid


def token_hex() -> str:
    return secrets.token_hex(4)
