"""The public page under an outage surge: wrk against gunicorn, against a from-memory reference app.

    .venv/bin/python bench/surge.py            # 10 s per wrk run, 200 connections
    .venv/bin/python bench/surge.py --quick    # 4 s per run, a 20,000-subscriber background fan-out

Seeds PostgreSQL (default database sp_bench_ref, emptied first) with 50 components, 5 tenants,
200 incidents and 100,000 subscribers; serves the app with bench/gunicorn.conf.py (production config:
no TESTING, the embedded delivery worker on, email to an aiosmtpd sink that accepts and discards, SMS in
log mode); captures each path's bytes and headers into a minimal Flask app served with the same gunicorn
settings (the reference). Then, per path, wrk from a separate process on loopback:
cache hit (plain GET) and conditional GET (If-None-Match: the current ETag), app and reference
back to back; an update posted through the admin API during load, with the delay until the page and
summary.json show it; and the cache-hit runs again while the notice to every subscriber is being
written and delivered in the background by the embedded worker. Prints one JSON line.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import (ROOT, VENV_BIN, api_token, emit, fresh_schema, load_average, make_app, pg_url, say,  # noqa: E402
                     seed_catalog, seed_subscribers_sql)
from sinks import start_sink  # noqa: E402

PATHS = ("/", "/api/v2/summary.json", "/feed.atom")
BENCH = ROOT / "bench"
CONNECTIONS = 200


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seconds", type=int, default=None, help="per wrk run (default 10, quick 4)")
    parser.add_argument("--subscribers", type=int, default=None, help="background fan-out (default 100,000)")
    parser.add_argument("--database", default="sp_bench_ref")
    args = parser.parse_args()
    seconds = args.seconds or (4 if args.quick else 10)
    subscribers = args.subscribers or (20_000 if args.quick else 100_000)
    url = pg_url(args.database)
    out = {"bench": "surge", "loadavg_start": load_average(), "wrk_seconds": seconds, "connections": CONNECTIONS,
           "database": "postgresql", "background_delivery": "email to an aiosmtpd sink, SMS in log mode, "
                                                            "by the embedded worker inside gunicorn"}
    app = make_app(url)
    say("seeding")
    fresh_schema(app)
    out["seeded"] = seed_catalog(app, components=50, tenants=5, incidents=200)
    out["seeded"]["subscribers"] = seed_subscribers_sql(app, subscribers, 5, 50)["subscribers"]
    token = api_token(app)
    work = Path(tempfile.mkdtemp(prefix="statuspage-surge-"))
    sink = start_sink()
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench", "STATUSPAGE_INSTANCE": str(work / "instance"),
           "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(sink.port), "PUBLIC_BASE_URL": "http://status.bench",
           "AUTO_MIGRATE": "0"}
    env.pop("CELERY_BROKER_URL", None)
    servers = []
    try:
        app_port = serve(["wsgi:app"], env, ROOT, servers)
        base = f"http://127.0.0.1:{app_port}"
        captured = capture(base, work / "reference")
        ref_port = serve(["reference_app:app"], {**env, "REFERENCE_DIR": str(work / "reference")}, BENCH, servers)
        ref = f"http://127.0.0.1:{ref_port}"
        out["gunicorn"] = gunicorn_settings()
        out["bytes"] = {p: captured[p]["bytes"] for p in PATHS}
        out["paths"] = {}
        for path in PATHS:
            etag = captured[path]["etag"]
            row = {}
            for mode, tag in (("hit", ""), ("not_modified", etag)):
                app_run = wrk(base + path, seconds, tag)
                ref_run = wrk(ref + path, seconds, tag)
                row[mode] = {"app": app_run, "reference": ref_run,
                             "ratio": round(app_run["rps"] / ref_run["rps"], 3) if ref_run["rps"] else None}
                say(path, mode, f"app {app_run['rps']:.0f} rps p99 {app_run['p99_ms']} ms;",
                    f"ref {ref_run['rps']:.0f} rps p99 {ref_run['p99_ms']} ms")
            out["paths"][path] = row
        out["freshness"] = freshness(base, token, seconds)
        say("freshness", out["freshness"])
        out["during_fanout"] = during_fanout(base, ref, token, seconds, url, subscribers)
    finally:
        for proc in servers:
            proc.send_signal(signal.SIGTERM)
        for proc in servers:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        out.setdefault("during_fanout", {})["sink_accepted_total"] = sink.stop()
        shutil.rmtree(work, ignore_errors=True)
    out["targets"] = targets(out)
    emit(out)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(app_spec: list[str], env: dict, cwd: Path, servers: list) -> int:
    port = free_port()
    proc = subprocess.Popen([str(VENV_BIN / "gunicorn"), "-c", str(BENCH / "gunicorn.conf.py"), *app_spec],
                            env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}"}, cwd=cwd)
    servers.append(proc)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read()
            return port
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"gunicorn {app_spec} did not answer")


def gunicorn_settings() -> dict:
    ns: dict = {}
    exec((BENCH / "gunicorn.conf.py").read_text(), ns)
    return {k: ns[k] for k in ("workers", "worker_class", "threads", "keepalive")}


def capture(base: str, into: Path) -> dict:
    """Each path's body and headers from the app, for the reference to replay."""
    into.mkdir(parents=True)
    manifest, info = {}, {}
    for n, path in enumerate(PATHS):
        with urllib.request.urlopen(base + path) as resp:
            body = resp.read()
            headers = {k: v for k, v in resp.headers.items()
                       if k.lower() not in ("date", "server", "content-length", "connection", "transfer-encoding")}
        (into / f"{n}.body").write_bytes(body)
        manifest[path] = {"file": f"{n}.body", "headers": headers}
        info[path] = {"bytes": len(body), "etag": headers.get("ETag")}
    (into / "manifest.json").write_text(json.dumps(manifest))
    return info


def wrk(url: str, seconds: int, etag: str = "", warm: bool = True) -> dict:
    cmd = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s", "--latency", "-s", str(BENCH / "wrk_report.lua"), url]
    env = {**os.environ, "IF_NONE_MATCH": etag}
    if warm:
        subprocess.run([*cmd[:3], "-d2s", *cmd[4:]], env=env, capture_output=True)
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("JSON ")), None)
    if line is None:
        raise SystemExit(f"wrk failed: {proc.stdout}\n{proc.stderr}")
    r = json.loads(line[5:])
    secs = r["duration_us"] / 1e6
    return {"rps": round(r["requests"] / secs, 1), "p50_ms": round(r["p50_us"] / 1000, 1),
            "p99_ms": round(r["p99_us"] / 1000, 1), "max_ms": round(r["max_us"] / 1000, 1),
            "requests": r["requests"], "socket_errors": r["socket_errors"], "non_2xx_3xx": r["non_2xx_3xx"],
            "loadavg": load_average()[0]}


def admin(base: str, token: str, method: str, path: str, body: dict) -> dict:
    req = urllib.request.Request(base + "/api/admin/v1" + path, method=method, data=json.dumps(body).encode(),
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.loads(resp.read())


def freshness(base: str, token: str, seconds: int) -> dict:
    """Post an incident during a surge on `/`; seconds until `/` and summary.json show it."""
    marker = f"Bench outage {time.time_ns()}"
    load = threading.Thread(target=wrk, args=(base + "/", seconds + 20, "", False))
    load.start()
    time.sleep(2)
    posted = time.monotonic()
    created = admin(base, token, "POST", "/incidents", {"name": marker, "status": "investigating", "impact": "minor",
                                                         "body": "Bench: checking how fast readers see this.",
                                                         "deliver_notifications": False})
    request_s = time.monotonic() - posted
    seen = {}
    while len(seen) < 2 and time.monotonic() - posted < 60:
        for path in ("/", "/api/v2/summary.json"):
            if path not in seen:
                with urllib.request.urlopen(base + path, timeout=30) as resp:
                    if marker in resp.read().decode():
                        seen[path] = round(time.monotonic() - posted, 2)
        time.sleep(0.05)
    load.join()
    admin(base, token, "PATCH", f"/incidents/{created['id']}", {"status": "resolved", "deliver_notifications": False})
    return {"admin_request_seconds": round(request_s, 3), "visible_after_seconds": seen,
            "promise_seconds": 30}


def during_fanout(base: str, ref: str, token: str, seconds: int, url: str, subscribers: int) -> dict:
    """The cache-hit runs again while the embedded worker writes and delivers a notice to everyone."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)

    def sent() -> int:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM delivery WHERE status IN ('sent', 'failed')")).scalar())

    created = admin(base, token, "POST", "/incidents", {"name": "Everyone: withdrawals failing", "status": "investigating",
                                                         "impact": "major", "deliver_notifications": False})
    posted = time.monotonic()
    admin(base, token, "POST", f"/incidents/{created['id']}/updates",
          {"status": "identified", "body": "Call 400-820-8820 and we process withdrawals by hand.",
           "deliver_notifications": True})
    request_s = time.monotonic() - posted
    # Wait for the worker to start sending, so the load overlaps the delivery itself.
    while sent() == 0 and time.monotonic() - posted < 120:
        time.sleep(0.5)
    started_sent, started = sent(), time.monotonic()
    result = {"audience": subscribers, "admin_request_seconds": round(request_s, 3),
              "first_send_after_seconds": round(started - posted, 1), "paths": {}}
    for path in PATHS:
        app_run = wrk(base + path, seconds, "", warm=False)
        ref_run = wrk(ref + path, seconds, "", warm=False)
        result["paths"][path] = {"app": app_run, "reference": ref_run,
                                 "ratio": round(app_run["rps"] / ref_run["rps"], 3) if ref_run["rps"] else None}
        say("during fan-out", path, f"app {app_run['rps']:.0f} rps p99 {app_run['p99_ms']} ms;",
            f"ref {ref_run['rps']:.0f} rps")
    done = sent()
    result["delivered_during_load"] = done - started_sent
    result["delivery_rate_per_s"] = round((done - started_sent) / (time.monotonic() - started), 1)
    result["still_undelivered_at_end"] = subscribers - done
    return result


def targets(out: dict) -> dict:
    met = {}
    for path, row in out["paths"].items():
        met[f"hit_ratio_ge_0.8 {path}"] = row["hit"]["ratio"] >= 0.8
        met[f"p99_le_50ms {path}"] = max(row["hit"]["app"]["p99_ms"], row["not_modified"]["app"]["p99_ms"]) <= 50
    seen = out["freshness"]["visible_after_seconds"]
    met["visible_within_30s"] = len(seen) == 2 and max(seen.values()) <= 30
    for path, row in out["during_fanout"].get("paths", {}).items():
        met[f"during_fanout_ratio_ge_0.8 {path}"] = row["ratio"] >= 0.8
        met[f"during_fanout_p99_le_50ms {path}"] = row["app"]["p99_ms"] <= 50
    return met


if __name__ == "__main__":
    main()
