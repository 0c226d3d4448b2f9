"""The static mirror through nginx under a surge, its freshness, and the drill with the app killed.

    .venv/bin/python bench/edge.py              # 10 s per wrk run, a 60 s drill, 200 connections
    .venv/bin/python bench/edge.py --quick      # 4 s per run, a 20 s drill

Seeds a throw-away SQLite database (or --database-url, EMPTIED first) with 50 components, 5 tenants
and 200 incidents; serves the app under gunicorn (bench/gunicorn.conf.py) with MIRROR_DIR set, so
its republisher keeps the mirror current; runs Debian's nginx with deploy/nginx.conf (paths and ports
pointed at this run) and, in the same nginx, a reference server that answers one static file holding
the same bytes as the mirror's page. Then, with wrk at 200 connections on loopback:
(a) per path, nginx serving the mirror vs nginx serving the static file, three interleaved rounds each
    (the best of each side is kept);
(c) freshness: an incident posted through the admin API while `/` is under load, seconds until the
    mirror file and nginx's `/` name it;
(d) the drill: gunicorn (master and workers) SIGKILLed, then wrk over `/`, `/history`,
    `/api/v2/summary.json`, `/feed.rss` and `/feed.atom` for the drill's length, counting errors.
Prints one JSON line. Needs nginx and wrk (apt-get install nginx-light wrk).
"""
from __future__ import annotations

import argparse
import json
import os
import re
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
from harness import ROOT, VENV_BIN, api_token, emit, fresh_schema, load_average, make_app, say, seed_catalog  # noqa: E402

BENCH = ROOT / "bench"
CONNECTIONS = 200
ROUNDS = 3
PATHS = {"/": "index.html", "/api/v2/summary.json": "api/v2/summary.json", "/feed.atom": "feed.atom"}
DRILL_PATHS = ("/", "/history", "/api/v2/summary.json", "/feed.rss", "/feed.atom")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seconds", type=int, default=None, help="per wrk run (default 10, quick 4)")
    parser.add_argument("--drill-seconds", type=int, default=None, help="default 60, quick 20")
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp dir (emptied first)")
    args = parser.parse_args()
    for tool in ("nginx", "wrk"):
        if not shutil.which(tool) and not Path(f"/usr/sbin/{tool}").exists():
            raise SystemExit(f"{tool} is missing: apt-get install nginx-light wrk")
    seconds = args.seconds or (4 if args.quick else 10)
    drill_seconds = args.drill_seconds or (20 if args.quick else 60)
    work = Path(tempfile.mkdtemp(prefix="statuspage-edge-"))
    url = args.database_url or f"sqlite:///{work / 'edge.db'}"
    os.environ["STATUSPAGE_INSTANCE"] = str(work / "instance")
    out = {"bench": "edge", "loadavg_start": load_average(), "wrk_seconds": seconds, "connections": CONNECTIONS,
           "database": url.split(":", 1)[0], "nginx": nginx_version()}
    app = make_app(url)
    say("seeding")
    fresh_schema(app)
    out["seeded"] = seed_catalog(app, components=50, tenants=5, incidents=200)
    token = api_token(app)
    mirror_dir = work / "mirror"
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench", "STATUSPAGE_INSTANCE": str(work / "instance"),
           "PUBLIC_BASE_URL": "http://status.bench", "AUTO_MIGRATE": "0", "MIRROR_DIR": str(mirror_dir)}
    env.pop("CELERY_BROKER_URL", None)
    gunicorn = nginx = None
    try:
        app_port = free_port()
        gunicorn = subprocess.Popen([str(VENV_BIN / "gunicorn"), "-c", str(BENCH / "gunicorn.conf.py"), "wsgi:app"],
                                    env={**env, "GUNICORN_BIND": f"127.0.0.1:{app_port}"}, cwd=ROOT,
                                    start_new_session=True)
        app_base = f"http://127.0.0.1:{app_port}"
        wait_for(lambda: (mirror_dir / "index.html").is_file(), 120, "the first mirror build")
        edge_port, ref_port = free_port(), free_port()
        ref_dir = work / "reference"
        ref_dir.mkdir()
        for path, file in PATHS.items():
            shutil.copyfile(mirror_dir / file, ref_dir / Path(file).name)
        nginx = start_nginx(work, mirror_dir, app_port, edge_port, ref_dir, ref_port)
        edge, ref = f"http://127.0.0.1:{edge_port}", f"http://127.0.0.1:{ref_port}"
        out["bytes"] = {p: (mirror_dir / f).stat().st_size for p, f in PATHS.items()}
        out["paths"] = {}
        for path, file in PATHS.items():
            # Interleaved rounds, the best of each side: the machine's other load moves both alike.
            mirror_runs, ref_runs = [], []
            for _ in range(ROUNDS):
                mirror_runs.append(wrk(edge + path, seconds))
                ref_runs.append(wrk(ref + "/" + Path(file).name, seconds))
            mirror_run = max(mirror_runs, key=lambda r: r["rps"])
            ref_run = max(ref_runs, key=lambda r: r["rps"])
            out["paths"][path] = {"mirror": mirror_run, "static_file": ref_run,
                                  "ratio": round(mirror_run["rps"] / ref_run["rps"], 3) if ref_run["rps"] else None}
            say(path, f"mirror {mirror_run['rps']:.0f} rps p99 {mirror_run['p99_ms']} ms;",
                f"static file {ref_run['rps']:.0f} rps p99 {ref_run['p99_ms']} ms")
        out["freshness"] = freshness(app_base, edge, mirror_dir, token, seconds)
        say("freshness", out["freshness"])
        say("drill: SIGKILL gunicorn, then", drill_seconds, "s of wrk over", ", ".join(DRILL_PATHS))
        os.killpg(gunicorn.pid, signal.SIGKILL)
        gunicorn.wait(10)
        wait_for(lambda: not _listening(app_port), 30, "the app's port to close")
        out["drill"] = drill(edge, app_port, drill_seconds)
        say("drill", out["drill"])
    finally:
        for proc in (nginx, gunicorn):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
        if gunicorn is not None:
            try:
                os.killpg(gunicorn.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(work, ignore_errors=True)
    out["targets"] = targets(out)
    emit(out)


def nginx_version() -> str:
    done = subprocess.run(["nginx", "-v"], capture_output=True, text=True)
    return (done.stderr or done.stdout).strip().split("/")[-1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise SystemExit(f"timed out waiting for {what}")


def start_nginx(work: Path, mirror_dir: Path, app_port: int, edge_port: int, ref_dir: Path,
                ref_port: int) -> subprocess.Popen:
    """deploy/nginx.conf as shipped (paths and ports replaced), plus a plain static-file server."""
    site = (ROOT / "deploy" / "nginx.conf").read_text()
    site = site.replace("/srv/statuspage/mirror", str(mirror_dir)).replace("/var/cache/nginx/statuspage",
                                                                            str(work / "cache"))
    site = site.replace("server 127.0.0.1:8000", f"server 127.0.0.1:{app_port}")
    site = re.sub(r"listen 80;", f"listen 127.0.0.1:{edge_port} backlog=4096;", site)
    temp = "\n".join(f"    {k}_temp_path {work / k};" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    user = "user root root;" if os.geteuid() == 0 else ""
    config = work / "nginx.conf"
    config.write_text(f"""{user}
daemon off;
worker_processes auto;
pid {work / 'nginx.pid'};
error_log {work / 'nginx-error.log'} warn;
events {{ worker_connections 4096; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
{temp}
{site}
    server {{
        listen 127.0.0.1:{ref_port} backlog=4096;
        root {ref_dir};
        charset utf-8;
        charset_types application/rss+xml application/atom+xml;
        location / {{ try_files $uri =404; }}
    }}
}}
""")
    proc = subprocess.Popen(["nginx", "-p", str(work), "-e", str(work / "nginx-error.log"), "-c", str(config)],
                            stdout=subprocess.DEVNULL)
    for port in (edge_port, ref_port):
        wait_for(lambda p=port: _listening(p), 10, f"nginx on {port}")
    return proc


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def wrk(url: str, seconds: int, script: str = "wrk_report.lua", env: dict | None = None, warm: bool = True) -> dict:
    cmd = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s", "--latency",
           "-s", str(BENCH / script), url]
    env = {**os.environ, "IF_NONE_MATCH": "", **(env or {})}
    if warm:
        subprocess.run([*cmd[:3], "-d2s", *cmd[4:]], env=env, capture_output=True)
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("JSON ")), None)
    if line is None:
        raise SystemExit(f"wrk failed: {proc.stdout}\n{proc.stderr}")
    r = json.loads(line[5:])
    secs = r["duration_us"] / 1e6
    return {"rps": round(r["requests"] / secs, 1), "p50_ms": round(r["p50_us"] / 1000, 2),
            "p99_ms": round(r["p99_us"] / 1000, 2), "max_ms": round(r["max_us"] / 1000, 1),
            "requests": r["requests"], "seconds": round(secs, 1), "socket_errors": r["socket_errors"],
            "non_2xx_3xx": r["non_2xx_3xx"], "loadavg": load_average()[0]}


def freshness(app_base: str, edge: str, mirror_dir: Path, token: str, seconds: int) -> dict:
    """Post an incident while nginx's `/` is under load; seconds until the mirror file and nginx show it."""
    marker = f"Edge bench outage {time.time_ns()}"
    load = threading.Thread(target=wrk, args=(edge + "/", seconds + 10), kwargs={"warm": False})
    load.start()
    time.sleep(2)
    posted = time.monotonic()
    req = urllib.request.Request(app_base + "/api/admin/v1/incidents", method="POST", data=json.dumps(
        {"name": marker, "status": "investigating", "impact": "minor", "body": "Edge bench: how fast is the mirror?",
         "deliver_notifications": False}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        resp.read()
    request_s = time.monotonic() - posted
    seen: dict[str, float] = {}
    while len(seen) < 2 and time.monotonic() - posted < 60:
        if "mirror_file" not in seen and marker.encode() in (mirror_dir / "index.html").read_bytes():
            seen["mirror_file"] = round(time.monotonic() - posted, 3)
        if "nginx" not in seen:
            with urllib.request.urlopen(edge + "/", timeout=30) as resp:
                if marker.encode() in resp.read():
                    seen["nginx"] = round(time.monotonic() - posted, 3)
        time.sleep(0.02)
    load.join()
    return {"admin_request_seconds": round(request_s, 3), "visible_after_seconds": seen, "promise_seconds": 2}


def drill(edge: str, app_port: int, seconds: int) -> dict:
    refused = not _listening(app_port)
    run = wrk(edge + "/", seconds, script="wrk_paths.lua", env={"WRK_PATHS": " ".join(DRILL_PATHS)}, warm=False)
    statuses = {}
    for path in DRILL_PATHS:
        with urllib.request.urlopen(edge + path, timeout=10) as resp:
            statuses[path] = resp.status
    return {"app_port_refuses": refused, "seconds": seconds, "paths": list(DRILL_PATHS), "wrk": run,
            "after": statuses}


def targets(out: dict) -> dict:
    met = {}
    for path, row in out.get("paths", {}).items():
        met[f"mirror_vs_static_ge_0.95 {path}"] = (row["ratio"] or 0) >= 0.95
        met[f"p99_le_50ms {path}"] = row["mirror"]["p99_ms"] <= 50
    seen = out.get("freshness", {}).get("visible_after_seconds", {})
    met["fresh_within_2s"] = len(seen) == 2 and max(seen.values()) <= 2
    run = out.get("drill", {}).get("wrk", {})
    met["drill_zero_errors"] = bool(run) and run["socket_errors"] == 0 and run["non_2xx_3xx"] == 0
    return met


if __name__ == "__main__":
    main()
