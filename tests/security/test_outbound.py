"""The outbound guard: no upstream feed, webhook or other outbound request reaches a non-public address
unless OUTBOUND_ALLOW_NETWORKS says so, checked when the URL is saved and again at connect time, redirects
included. The rest of the suite allows 127.0.0.0/8 for its doubles; these tests narrow or empty it."""
from __future__ import annotations

import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from statuspage.delivery.runner import drain_outbox
from statuspage.models import Delivery, UpstreamFeed, utcnow
from statuspage.outbound import OutboundRefused, check_url, guarded_session, parse_networks
from statuspage.services.fanout import fan_out_update
from statuspage.upstream import poll_all
from tests.factories import gen_incident, gen_subscriber

SPELLINGS = ["http://localhost/feed", "http://2130706433/feed", "http://0x7f.1/feed", "http://[::ffff:127.0.0.1]/feed",
             "http://[::1]:8080/feed", "http://169.254.169.254/latest/meta-data/", "http://10.0.0.7/feed",
             "http://0.0.0.0/feed", "http://192.168.1.1/feed", "http://100.64.0.1/feed"]


class Server:
    """Answers every request with `status` (and `location` if set) and remembers the paths it saw."""

    def __init__(self, host="127.0.0.1", status=200, location=None, body=b"<rss><channel></channel></rss>"):
        self.paths: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self):
                outer.paths.append(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://{host}:{self.httpd.server_address[1]}/feed"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def app_config():
    return {"OUTBOUND_ALLOW_NETWORKS": ""}


@pytest.fixture
def server():
    s = Server()
    yield s
    s.close()


@pytest.mark.parametrize("url", SPELLINGS)
def test_every_spelling_of_a_private_address_is_refused(app, url):
    with pytest.raises(OutboundRefused):
        check_url(url)


def test_allowed_networks_let_a_private_address_through(app):
    assert check_url("http://127.0.0.1:9/x", parse_networks("127.0.0.0/8"))
    with pytest.raises(OutboundRefused):
        check_url("http://10.0.0.1/x", parse_networks("127.0.0.0/8"))


@pytest.mark.parametrize("url", SPELLINGS)
def test_api_refuses_an_upstream_feed_on_a_private_address(client, bearer, db, url):
    resp = client.post("/api/admin/v1/upstreams", json={"name": "Internal", "url": url, "kind": "rss"},
                       headers=bearer("admin"))
    assert resp.status_code == 422, resp.get_data(as_text=True)
    assert resp.get_json()["error"]["details"].keys() == {"url"}
    assert db.session.scalars(select(UpstreamFeed)).all() == []


def test_admin_page_refuses_an_upstream_feed_on_the_metadata_address(client, login, db):
    login()
    resp = client.post("/admin/upstreams", data={"name": "Meta", "url": "http://169.254.169.254/latest/",
                                                 "interval_seconds": "120"})
    assert resp.status_code == 422
    assert db.session.scalars(select(UpstreamFeed)).all() == []


def _feed_in_db(db, url) -> UpstreamFeed:
    """As if the name resolved to a public address when saved and to a private one now (DNS rebinding)."""
    feed = UpstreamFeed(name="Rebound", url=url, kind="rss", interval_seconds=120, component_ids=[], state="unknown",
                        next_fetch_at=utcnow())
    db.session.add(feed)
    db.session.commit()
    return feed


def test_a_feed_that_now_resolves_to_loopback_is_refused_at_connect_time(app, db, server):
    feed = _feed_in_db(db, server.url)
    poll_all(force=True)
    db.session.expire_all()
    assert server.paths == []
    assert feed.last_error.startswith("refused")


def test_a_redirect_to_a_private_address_is_refused(app, db):
    inner = Server(host="127.0.0.2")
    outer = Server(status=302, location=inner.url)
    try:
        app.config["OUTBOUND_ALLOW_NETWORKS"] = "127.0.0.1/32"
        feed = _feed_in_db(db, outer.url)
        poll_all(force=True)
        db.session.expire_all()
        assert outer.paths == ["/feed"] and inner.paths == []
        assert feed.last_error.startswith("refused") and "127.0.0.2" in feed.last_error
    finally:
        inner.close()
        outer.close()


def test_the_guarded_session_connects_to_the_address_it_checked(app, monkeypatch, server):
    """The socket goes to the address the guard resolved and checked, never to a second DNS answer:
    a rebinding resolver that says "public" to the check and "loopback" afterwards reaches nothing."""
    monkeypatch.setattr("statuspage.outbound.resolve", lambda host, port: ["192.0.2.1"] if host == "rebind.example"
                        else ["127.0.0.1"])
    monkeypatch.setattr("statuspage.outbound.address_allowed", lambda address, networks: address == "192.0.2.1")
    real_getaddrinfo = socket.getaddrinfo
    monkeypatch.setattr("socket.getaddrinfo", lambda host, *a, **k: real_getaddrinfo(
        "127.0.0.1" if host == "rebind.example" else host, *a, **k))
    with pytest.raises(requests.RequestException) as caught:
        with guarded_session(()) as session:
            session.get(server.url.replace("127.0.0.1", "rebind.example"), timeout=0.5)
    assert "192.0.2.1" in str(caught.value)
    assert server.paths == []


def test_the_guarded_session_reaches_an_allowed_address(app, server):
    with guarded_session(parse_networks("127.0.0.1/32")) as session:
        assert session.get(server.url, timeout=2).status_code == 200
    assert server.paths == ["/feed"]


def test_a_responder_cannot_add_a_webhook_subscriber(client, bearer, db):
    resp = client.post("/api/admin/v1/subscribers", json={"webhook_url": "https://hooks.example.com/x"},
                       headers=bearer("responder"))
    assert resp.status_code == 403


@pytest.mark.parametrize("url", SPELLINGS)
def test_an_admin_cannot_add_a_webhook_to_a_private_address(client, bearer, url):
    resp = client.post("/api/admin/v1/subscribers", json={"webhook_url": url}, headers=bearer("admin"))
    assert resp.status_code == 422 and "webhook_url" in resp.get_json()["error"]["details"]


def test_a_webhook_to_loopback_is_refused_when_sent_and_viewers_see_no_detail(client, app, db, bearer, server):
    gen_subscriber(server.url, channel="webhook", webhook_secret="s")
    fan_out_update(gen_incident(name="Queue backlog").updates[0])
    db.session.commit()
    drain_outbox()
    assert server.paths == []
    db.session.expire_all()
    row = db.session.scalars(select(Delivery).where(Delivery.channel == "webhook")).one()
    assert row.status == "failed" and "refused" in row.last_error
    [seen_by_viewer] = [d for d in client.get("/api/admin/v1/deliveries", headers=bearer("viewer")).get_json()
                        if d["channel"] == "webhook"]
    [seen_by_admin] = [d for d in client.get("/api/admin/v1/deliveries", headers=bearer("admin")).get_json()
                       if d["channel"] == "webhook"]
    assert seen_by_admin["last_error"] == row.last_error
    assert seen_by_viewer["last_error"] == "the request could not be completed"


def test_viewers_see_a_generic_upstream_error(client, app, db, bearer, server):
    _feed_in_db(db, server.url)
    poll_all(force=True)
    [as_viewer] = client.get("/api/admin/v1/upstreams", headers=bearer("viewer")).get_json()
    [as_admin] = client.get("/api/admin/v1/upstreams", headers=bearer("admin")).get_json()
    assert "127.0.0.1" in as_admin["last_error"]
    assert as_viewer["last_error"] == "the request could not be completed"


def test_no_outbound_http_bypasses_the_guard():
    """Every HTTP client in statuspage is a guarded_session; the Twilio and SMTP clients talk to configured
    providers, not to user-supplied URLs."""
    root = Path(__file__).resolve().parents[2] / "statuspage"
    raw = [f"{p.relative_to(root)}:{n}" for p in root.rglob("*.py") if p.name != "outbound.py"
           for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
           if re.search(r"requests\.(get|post|put|head|request|Session)\(|urlopen\(|\bhttpx\b|http\.client", line)]
    assert raw == [], "use statuspage.outbound.guarded_session: " + ", ".join(raw)
