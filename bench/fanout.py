"""Fan-out: from the admin's POST of an update until every delivery row exists, against the raw INSERT ... SELECT.

    .venv/bin/python bench/fanout.py            # 1,000,000 subscribers on PostgreSQL, 100,000 on SQLite
    .venv/bin/python bench/fanout.py --quick    # 100,000 on PostgreSQL, 20,000 on SQLite
    .venv/bin/python bench/fanout.py --reuse    # keep the PostgreSQL subscribers seeded by the last run

Each scenario (one large tenant: 10% of everyone, with components; everyone) runs in a fresh child
process that POSTs the update through the admin API (Flask test client, production config) and then
runs the deferred fan-out exactly as the delivery worker does (`run_pending_fanouts`); the child reports
the request's latency, the total time and its own peak RSS. The reference is the bare INSERT ... SELECT
writing the same rows, timed in the same run after the app's rows are removed. Empties the PostgreSQL
database it is given (default sp_bench) and prints one JSON line.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import (emit, fresh_schema, load_average, make_app, open_incident, peak_rss_mb, pg_url, say,  # noqa: E402
                     seed_subscribers_sql, api_token)

TENANTS, COMPONENTS = 20, 50


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100k on PostgreSQL, 20k on SQLite")
    parser.add_argument("--pg", type=int, default=None, help="subscribers on PostgreSQL (default 1,000,000)")
    parser.add_argument("--sqlite", type=int, default=None, help="subscribers on SQLite (default 100,000)")
    parser.add_argument("--database", default="sp_bench")
    parser.add_argument("--reuse", action="store_true", help="keep the PostgreSQL subscribers if the count matches")
    parser.add_argument("--child", nargs=3, metavar=("URL", "INCIDENT", "TOKEN"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(*args.child)
    pg_n = args.pg or (100_000 if args.quick else 1_000_000)
    lite_n = args.sqlite or (20_000 if args.quick else 100_000)
    out = {"bench": "fanout", "loadavg_start": load_average()}
    out["postgresql"] = run_database(pg_url(args.database), pg_n, args.reuse)
    tmp = Path(tempfile.mkdtemp(prefix="statuspage-fanout-"))
    out["sqlite"] = run_database(f"sqlite:///{tmp / 'fanout.db'}", lite_n, False)
    out["targets"] = targets(out)
    emit(out)


def run_database(url: str, total: int, reuse: bool) -> dict:
    from sqlalchemy import text

    from statuspage.extensions import db

    app = make_app(url)
    seeded = None
    if reuse and url.startswith("postgres"):
        with app.app_context():
            try:
                have = db.session.execute(text("SELECT count(*) FROM subscriber")).scalar()
                big = db.session.execute(text("SELECT min(id) FROM tenant")).scalar()
                big_n = db.session.execute(text("SELECT count(*) FROM subscriber WHERE tenant_id = :t"),
                                           {"t": big}).scalar()
                db.session.execute(text("TRUNCATE delivery"))
                db.session.commit()
            except Exception:
                db.session.rollback()
                have = None
            db.session.remove()
        if have == total:
            seeded = {"subscribers": total, "big_tenant_id": big, "big_tenant_subscribers": big_n, "reused": True}
    if seeded is None:
        say(f"seeding {total} subscribers on {url.split('@')[-1]}")
        fresh_schema(app)
        seeded = seed_subscribers_sql(app, total, TENANTS, COMPONENTS)
        say("seeded", seeded)
    token = api_token(app)
    with app.app_context():
        comp_ids = [r[0] for r in db.session.execute(text("SELECT id FROM component ORDER BY id LIMIT 50"))]
    scenarios = {
        "big_tenant": open_incident(app, [seeded["big_tenant_id"]], comp_ids[:5], "Tenant outage"),
        "everyone": open_incident(app, [], [], "Everyone outage"),
    }
    result = {"subscribers": total, "seeded": seeded}
    for name, incident_id in scenarios.items():
        say(f"{name}: posting the update through the admin API")
        app_run = run_child(url, incident_id, token)
        update_id = app_run.pop("update_id")
        with app.app_context():
            db.session.execute(text("DELETE FROM delivery WHERE update_id = :u"), {"u": update_id})
            db.session.commit()
            say(f"{name}: the raw INSERT ... SELECT")
            floor_s, floor_rows = raw_floor(incident_id, update_id)
            db.session.execute(text("DELETE FROM delivery WHERE update_id = :u"), {"u": update_id})
            db.session.commit()
            db.session.remove()
        result[name] = {**app_run, "floor_seconds": round(floor_s, 3), "floor_rows": floor_rows,
                        "ratio_to_floor": round(app_run["post_to_rows_seconds"] / floor_s, 2),
                        "same_rows": floor_rows == app_run["rows"]}
        say(name, result[name])
    return result


def raw_floor(incident_id: int, update_id: int) -> tuple[float, int]:
    """The same rows with nothing but the INSERT ... SELECT (the database's floor)."""
    from sqlalchemy import text

    from statuspage.extensions import db
    from statuspage.models import utcnow

    pg = db.engine.dialect.name == "postgresql"
    now = utcnow() if pg else utcnow().replace(tzinfo=None)
    has_tenants = db.session.execute(text("SELECT count(*) FROM incident_tenant WHERE incident_id = :i"),
                                     {"i": incident_id}).scalar()
    has_components = db.session.execute(text("SELECT count(*) FROM incident_component WHERE incident_id = :i"),
                                        {"i": incident_id}).scalar()
    true, false = ("true", "false") if pg else ("1", "0")
    where = f"s.deleted_at IS NULL AND s.confirmed = {true} AND s.opted_out = {false}"
    if has_tenants:
        where += " AND s.tenant_id IN (SELECT tenant_id FROM incident_tenant WHERE incident_id = :i)"
    if has_components:
        where += (f" AND (s.all_components = {true} OR EXISTS (SELECT 1 FROM subscriber_component sc "
                  "JOIN incident_component ic ON ic.component_id = sc.component_id "
                  "WHERE sc.subscriber_id = s.id AND ic.incident_id = :i))")
    sql = text("INSERT INTO delivery (kind, update_id, subscriber_id, channel, recipient, status, attempts, "
               "next_attempt_at, created_at, updated_at) "
               f"SELECT 'update', :u, s.id, s.channel, s.address, 'queued', 0, :now, :now, :now FROM subscriber s "
               f"WHERE {where}")
    started = time.perf_counter()
    db.session.execute(sql, {"i": incident_id, "u": update_id, "now": now})
    db.session.commit()
    elapsed = time.perf_counter() - started
    rows = db.session.execute(text("SELECT count(*) FROM delivery WHERE update_id = :u"), {"u": update_id}).scalar()
    return elapsed, int(rows)


def run_child(url: str, incident_id: int, token: str) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", url, str(incident_id), token],
                          capture_output=True, text=True, env=os.environ.copy())
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"fan-out child failed ({proc.returncode})")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def child(url: str, incident_id: str, token: str) -> None:
    """One scenario in a fresh process: the POST, then the worker's deferred fan-out; prints its figures."""
    from sqlalchemy import text

    from statuspage.extensions import db
    from statuspage.services.fanout import run_pending_fanouts

    app = make_app(url)
    client = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    # A warm process, as the admin's server is: the first request's one-off setup is not the fan-out's cost.
    client.get(f"/api/admin/v1/incidents/{incident_id}", headers=auth)
    rss_before = peak_rss_mb()
    started = time.perf_counter()
    resp = client.post(f"/api/admin/v1/incidents/{incident_id}/updates",
                       headers=auth,
                       json={"status": "identified", "body": "We found the cause. Call 400-820-8820.",
                             "deliver_notifications": True})
    request_s = time.perf_counter() - started
    assert resp.status_code in (200, 201), (resp.status_code, resp.get_data(as_text=True)[:500])
    with app.app_context():
        update_id = db.session.execute(text("SELECT max(id) FROM incident_update WHERE incident_id = :i"),
                                       {"i": int(incident_id)}).scalar()
        state = db.session.execute(text("SELECT fanout_state FROM incident_update WHERE id = :u"),
                                   {"u": update_id}).scalar()
        worker_started = time.perf_counter()
        run_pending_fanouts()
        worker_s = time.perf_counter() - worker_started
        total_s = time.perf_counter() - started
        rows = db.session.execute(text("SELECT count(*) FROM delivery WHERE update_id = :u"),
                                  {"u": update_id}).scalar()
        db.session.remove()
    print(json.dumps({"update_id": update_id, "rows": int(rows), "state_after_request": state,
                      "request_seconds": round(request_s, 3), "worker_seconds": round(worker_s, 3),
                      "post_to_rows_seconds": round(total_s, 3), "peak_rss_mb": peak_rss_mb(),
                      "rss_after_start_mb": rss_before}))


def targets(out: dict) -> dict:
    pg = out["postgresql"]
    met = {}
    for db_name in ("postgresql", "sqlite"):
        for scen in ("big_tenant", "everyone"):
            r = out[db_name][scen]
            met[f"{db_name}_{scen}_ratio_le_1.5"] = r["ratio_to_floor"] <= 1.5
            met[f"{db_name}_{scen}_request_lt_2s"] = r["request_seconds"] < 2.0
    rss_small, rss_big = pg["big_tenant"]["peak_rss_mb"], pg["everyone"]["peak_rss_mb"]
    met["pg_peak_rss_le_300mb"] = max(rss_small, rss_big) <= 300
    # "Independent of audience": the 10x audience may not cost more than 20% more memory.
    met["pg_peak_rss_flat"] = rss_big <= rss_small * 1.2
    return met


if __name__ == "__main__":
    main()
