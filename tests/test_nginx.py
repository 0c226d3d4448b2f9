"""deploy/nginx.conf with Debian's nginx on loopback: the mirror first, the app behind, the mirror when the app is down.

The test app is the test fixture's app on a loopback port (werkzeug's server in
a thread); "down" is that server shut down, so its port refuses connections.
nginx itself is never installed here: .ci/run installs Debian's nginx-light.
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests
from werkzeug.serving import make_server

from statuspage.extensions import db
from statuspage.public import mirror
from tests.factories import gen_component, gen_incident, gen_tenant

ROOT = Path(__file__).resolve().parent.parent
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(NGINX is None, reason="######## nginx is NOT installed: the nginx tests are SKIPPED "
                                             "(.ci/run installs Debian's nginx-light; or apt-get install nginx-light) "
                                             "########"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on {port}")


def site_config(mirror_dir: Path, cache_dir: Path, listen: int, app_port: int) -> str:
    """deploy/nginx.conf with its paths and ports pointed at this test's."""
    text = (ROOT / "deploy" / "nginx.conf").read_text()
    text = text.replace("/srv/statuspage/mirror", str(mirror_dir))
    text = text.replace("/var/cache/nginx/statuspage", str(cache_dir))
    text = text.replace("server 127.0.0.1:8000", f"server 127.0.0.1:{app_port}")
    text, listens = re.subn(r"listen 80;", f"listen 127.0.0.1:{listen};", text)
    assert listens == 1, "deploy/nginx.conf should have one `listen 80;`"
    return text


def main_config(work: Path, site: str) -> str:
    user = "user root root;" if os.geteuid() == 0 else ""  # the workers must read pytest's 0700 tmp dirs
    temp = "\n".join(f"    {kind}_temp_path {work / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return f"""{user}
daemon off;
worker_processes 1;
pid {work / 'nginx.pid'};
error_log {work / 'error.log'} warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
{temp}
{site}
}}
"""


class AppServer:
    """The fixture app on a loopback port, stoppable (its port then refuses connections)."""

    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def site(app):
    gen_component("API")
    gen_tenant("Northwind")
    gen_tenant("Globex", private=True)
    incident = gen_incident("Withdrawals failing")
    db.session.commit()
    return {"incident": incident}


@pytest.fixture
def edge(app, site, tmp_path):
    """nginx on loopback in front of the app, with a freshly published mirror."""
    mirror_dir = tmp_path / "mirror"
    mirror.publish(app, mirror_dir)
    work = tmp_path / "nginx"
    work.mkdir()
    upstream = AppServer(app)
    port = free_port()
    config = work / "nginx.conf"
    config.write_text(main_config(work, site_config(mirror_dir, work / "cache", port, upstream.port)))
    checked = subprocess.run([NGINX, "-t", "-q", "-p", str(work), "-e", str(work / "error.log"), "-c", str(config)],
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    proc = subprocess.Popen([NGINX, "-p", str(work), "-e", str(work / "error.log"), "-c", str(config)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for_port(port)
        yield {"base": f"http://127.0.0.1:{port}", "mirror": mirror_dir, "app": upstream, "work": work}
    finally:
        proc.terminate()
        proc.wait(10)
        upstream.stop()


def get(edge, path: str, **headers) -> requests.Response:
    return requests.get(edge["base"] + path, headers={"Accept-Encoding": "gzip", **headers}, timeout=10)


@pytest.mark.parametrize("path, file, content_type", [
    ("/", "index.html", "text/html; charset=utf-8"),
    ("/history", "history/index.html", "text/html; charset=utf-8"),
    ("/api/v2/summary.json", "api/v2/summary.json", "application/json"),
    ("/feed.rss", "feed.rss", "application/rss+xml; charset=utf-8"),
    ("/feed.atom", "feed.atom", "application/atom+xml; charset=utf-8"),
    ("/badge.svg", "badge.svg", "image/svg+xml; charset=utf-8"),
    ("/t/northwind/", "t/northwind/index.html", "text/html; charset=utf-8"),
    ("/static/style.css", "static/style.css", "text/css; charset=utf-8"),
])
def test_nginx_serves_mirror_files_gzipped_with_the_apps_type(edge, path, file, content_type):
    resp = get(edge, path)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == content_type
    assert resp.content == (edge["mirror"] / file).read_bytes()
    if len(resp.content) > 256:
        assert resp.headers.get("Content-Encoding") == "gzip"
    assert resp.headers["Cache-Control"].startswith("public, max-age=")
    assert "ETag" in resp.headers and "Last-Modified" in resp.headers
    assert "Cookie" not in resp.headers.get("Vary", "")


def test_the_api_answers_any_origin_and_pages_refuse_framing_as_the_app_does(edge):
    assert get(edge, "/api/v2/status.json").headers["Access-Control-Allow-Origin"] == "*"
    page = get(edge, "/")
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in get(edge, "/badge.svg").headers


def test_dynamic_paths_and_private_tenants_go_to_the_app(edge):
    assert get(edge, "/healthz").status_code == 200
    assert get(edge, "/admin/login").status_code == 200
    assert get(edge, "/t/globex/").status_code == 404  # the app's answer: not in the mirror, no access link
    assert '<html lang="zh-Hans">' in get(edge, "/?lang=zh_Hans").text
    resp = requests.post(edge["base"] + "/subscribe", data={"email": "reader@example.com"},
                         headers={"Origin": edge["base"]}, timeout=10, allow_redirects=False)
    assert resp.status_code in (200, 303, 400)  # the app answered (not nginx's 405 for a static file)
    assert resp.headers.get("Server", "").startswith("nginx")


def test_with_the_app_down_the_public_pages_still_answer(edge, site):
    assert get(edge, "/embed").status_code == 200  # not in the mirror: kept by nginx's proxy cache
    edge["app"].stop()
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", edge["app"].port)) != 0, "the app's port should be closed"
    incident = site["incident"].id
    for path in ("/", "/history", "/history/", "/api/v2/summary.json", "/api/v2/status.json", "/feed.rss",
                 "/feed.atom", "/badge.svg", f"/incidents/{incident}", "/t/northwind/", "/?lang=zh_Hans"):
        resp = get(edge, path)
        assert resp.status_code == 200, path
        assert b"Withdrawals failing" in resp.content or path.endswith(("status.json", ".svg")), path
    assert get(edge, "/embed").status_code == 200  # the stale copy, served while the app is down
    assert get(edge, "/t/globex/").status_code in (502, 503, 504)
