"""Subscribers screen at scale: the admin page's answer time with 1,000,000 subscribers on PostgreSQL.

    .venv/bin/python bench/subscriber_search.py              # 1,000,000 subscribers (sp_bench_subs)
    .venv/bin/python bench/subscriber_search.py --n 100000   # a quicker run
    .venv/bin/python bench/subscriber_search.py --reuse      # keep the subscribers seeded by the last run

Seeds with harness.seed_subscribers_sql (two thirds email, one third SMS, 20 tenants, half following
chosen components), signs in through the login form (production config, Flask test client, so the
figure is the whole request: routing, session, queries, template) and times each search five times after
one warm-up; the figure is the median. Empties the database it is given and prints one JSON line.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import emit, fresh_schema, make_app, pg_url, say, seed_subscribers_sql  # noqa: E402

PASSWORD = "bench-password-1234"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--database", default="sp_bench_subs")
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()

    from sqlalchemy import func, text

    from statuspage.extensions import db
    from statuspage.models import Component, Subscriber, Tenant
    from statuspage.services.accounts import create_user
    from statuspage.services.audit import Actor

    app = make_app(pg_url(args.database), WTF_CSRF_ENABLED=False)
    with app.app_context():
        have = 0
        if args.reuse:
            try:
                have = db.session.scalar(func.count(Subscriber.id).select())
            except Exception:  # no schema yet
                db.session.rollback()
    if have != args.n:
        fresh_schema(app)
        say(f"seeding {args.n:,} subscribers")
        started = time.monotonic()
        seed_subscribers_sql(app, args.n, tenants=20, components=30)
        say(f"seeded in {time.monotonic() - started:.1f} s")
    with app.app_context():
        if not db.session.execute(text("SELECT 1 FROM admin_user WHERE email = 'bench-search@localhost'")).first():
            create_user(email="bench-search@localhost", password=PASSWORD, name="bench", role="admin",
                        actor=Actor.system())
        tenant_id = db.session.scalar(db.select(Tenant.id).order_by(Tenant.id).offset(5))
        component_id = db.session.scalar(db.select(Component.id).order_by(Component.id).offset(3))
        middle_id = db.session.scalar(db.select(func.max(Subscriber.id))) // 2
        indexes = [r[0] for r in db.session.execute(text(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'subscriber'"))]
    client = app.test_client()
    resp = client.post("/admin/login", data={"email": "bench-search@localhost", "password": PASSWORD})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]

    searches = {
        "first page, no filter": "/admin/subscribers",
        "part of an email (one match)": "/admin/subscribers?q=user123457@",
        "part of an email (many)": "/admin/subscribers?q=user1234",
        "part of a phone number": "/admin/subscribers?q=1415 0123 45",
        "no match": "/admin/subscribers?q=nobody-here",
        "tenant + confirmed": f"/admin/subscribers?tenant={tenant_id}&state=confirmed",
        "channel + component": f"/admin/subscribers?channel=sms&component={component_id}",
        "a page in the middle (keyset)": f"/admin/subscribers?before={middle_id}",
        "opted out (none)": "/admin/subscribers?state=opted_out",
    }
    figures = {}
    for name, path in searches.items():
        assert client.get(path).status_code == 200, path
        times = []
        for _ in range(5):
            started = time.perf_counter()
            resp = client.get(path)
            times.append(time.perf_counter() - started)
            assert resp.status_code == 200
        figures[name] = round(statistics.median(times) * 1000, 1)
        say(f"{name}: {figures[name]} ms")
    emit({"bench": "subscriber_search", "subscribers": args.n, "engine": "postgresql",
          "median_ms": figures, "slowest_ms": max(figures.values()), "target_ms": 300,
          "subscriber_indexes": sorted(indexes)})


if __name__ == "__main__":
    main()
