"""Upstream feeds end to end: a loopback provider, the real CLI poller, the public page.

    .venv/bin/python bench/upstream_demo.py

Starts a loopback HTTP server (Python's http.server: Last-Modified and
If-Modified-Since, so an unchanged file answers 304) serving a
Statuspage-shaped history.rss, registers it through the admin API, runs
`flask --app wsgi poll-upstreams --once` ten times and counts the requests
the provider saw, then changes the file (new incident, then resolved) and
reads the third-party component's status off the public page `/`.
Everything lives in a temporary directory; nothing leaves 127.0.0.1.
"""
from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.upstream import feeds  # noqa: E402

HISTORY = ("p3x0", "Delayed payouts", feeds.RESOLVED)


class CountingHandler(SimpleHTTPRequestHandler):
    statuses: list[int] = []

    def send_response(self, code, message=None):
        self.statuses.append(int(code))
        super().send_response(code, message)

    def log_message(self, *args):
        pass


def write_feed(path: Path, incident_updates=None) -> None:
    incidents = [("p4y1", "Elevated card payment errors", incident_updates)] if incident_updates else []
    path.write_text(feeds.statuspage_rss([*incidents, HISTORY]))
    # http.server's Last-Modified has one-second resolution: make every change visible.
    stamp = time.time() + write_feed.bumps
    write_feed.bumps += 2
    os.utime(path, (stamp, stamp))


write_feed.bumps = 0


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="upstream-demo-"))
    www = work / "www"
    www.mkdir()
    write_feed(www / "history.rss")
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(CountingHandler, directory=str(www)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    feed_url = f"http://127.0.0.1:{server.server_address[1]}/history.rss"

    env = {**os.environ, "STATUSPAGE_INSTANCE": str(work / "instance"),
           "DATABASE_URL": f"sqlite:///{work / 'instance' / 'demo.db'}", "EMBEDDED_WORKER": "0",
           "SECRET_KEY": "upstream-demo", "CELERY_BROKER_URL": ""}
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]

    def cli(*args) -> str:
        out = subprocess.run([*flask, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
        return out.stdout

    cli("db", "upgrade")
    cli("create-admin", "--email", "ops@example.test", "--password", "demo-password-1")
    token = cli("create-api-token", "--email", "ops@example.test").strip().splitlines()[-1]

    os.environ.update(env)
    from statuspage import create_app

    app = create_app({"SITE_VERSION_MEMO_SECONDS": 0})
    client = app.test_client()
    resp = client.post("/api/admin/v1/upstreams", headers={"Authorization": f"Bearer {token}"},
                       json={"name": "Payhub", "url": feed_url, "kind": "rss"})
    assert resp.status_code == 201, resp.get_data(as_text=True)

    def page_status() -> str:
        page = client.get("/").get_data(as_text=True)
        match = re.search(r'component-name">Payhub\b.*?</span>\s*(?:</span>\s*)?<span class="status status-(\w+)"',
                          page, re.S)
        return match.group(1) if match else "(not on the page)"

    print(f"provider feed: {feed_url}")
    CountingHandler.statuses.clear()
    for n in range(10):
        print(f"poll {n + 1:2}: {cli('poll-upstreams', '--once').strip()}")
    counted = {code: CountingHandler.statuses.count(code) for code in sorted(set(CountingHandler.statuses))}
    print(f"requests for an unchanged feed over ten polls: {len(CountingHandler.statuses)} {counted}")

    steps = [("quiet history", None), ("new upstream incident", feeds.OPEN), ("upstream resolved", feeds.RESOLVED)]
    seen = []
    for label, updates in steps:
        if updates is not None:
            write_feed(www / "history.rss", updates)
            print(f"  {cli('poll-upstreams', '--once').strip()}")
        seen.append(page_status())
        print(f"public page after '{label}': Payhub is {seen[-1]}")
    server.shutdown()
    ok = seen == ["operational", "degraded_performance", "operational"] and counted == {200: 1, 304: 9}
    print("OK" if ok else "UNEXPECTED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
