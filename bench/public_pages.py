"""Time `/` and `/api/v2/summary.json` on a cache miss, a cache hit and a conditional GET, with the demo data.

    .venv/bin/python bench/public_pages.py [--rounds 200]

Uses a throw-away SQLite database (or DATABASE_URL when set, which it empties
first: never point it at data you care about) and Flask's test client, so the
figures are the application's own time, without network or WSGI server.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PATHS = ("/", "/api/v2/summary.json")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="statuspage-bench-"))
    os.environ["STATUSPAGE_INSTANCE"] = str(workdir)
    from flask_migrate import upgrade

    from statuspage import cache, create_app
    from statuspage.demo import load_demo
    from statuspage.extensions import db

    url = os.environ.get("DATABASE_URL") or f"sqlite:///{workdir / 'bench.db'}"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                      "PUBLIC_BASE_URL": "http://status.test"})
    with app.app_context():
        if url.startswith("postgres"):
            from sqlalchemy import text

            db.session.execute(text("DROP SCHEMA public CASCADE"))
            db.session.execute(text("CREATE SCHEMA public"))
            db.session.commit()
        upgrade()
        load_demo()
        db.session.commit()
    client = app.test_client()
    print(f"database: {url.split('@')[-1]}, rounds: {args.rounds}")
    for path in PATHS:
        miss, hit, not_modified = [], [], []
        for _ in range(args.rounds):
            cache.clear()
            miss.append(_timed(client, path))
        etag = client.get(path).headers["ETag"]
        for _ in range(args.rounds):
            hit.append(_timed(client, path))
            not_modified.append(_timed(client, path, {"If-None-Match": etag}))
        size = len(client.get(path).data)
        print(f"{path:24} {size:7d} bytes   miss {_fmt(miss)}   hit {_fmt(hit)}   304 {_fmt(not_modified)}")


def _timed(client, path, headers=None) -> float:
    start = time.perf_counter()
    resp = client.get(path, headers=headers or {})
    elapsed = time.perf_counter() - start
    assert resp.status_code in (200, 304), (path, resp.status_code)
    return elapsed * 1000


def _fmt(samples: list[float]) -> str:
    samples = sorted(samples)
    p95 = samples[int(len(samples) * 0.95) - 1]
    return f"median {statistics.median(samples):6.2f} ms, p95 {p95:6.2f} ms"


if __name__ == "__main__":
    main()
