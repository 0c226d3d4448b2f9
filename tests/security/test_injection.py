"""Hostile text in every field comes out inert: escaped in pages, feeds, emails and the admin;
SQL metacharacters are just characters; a line break cannot add an email header."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from statuspage.delivery.runner import drain_outbox
from statuspage.models import Playbook
from statuspage.services.fanout import fan_out_update
from tests.doubles.smtp import smtp_sink  # noqa: F401  (fixture)
from tests.factories import gen_admin, gen_api_token, gen_component, gen_incident, gen_subscriber, gen_tenant

XSS = '<script>alert("xss")</script><img src=x onerror=alert(1)>"><svg onload=alert(2)>'
SQL = "Robert'); DROP TABLE incident;--"
LIVE = re.compile(r"<script>alert|<img src=x onerror|<svg onload", re.I)


@pytest.fixture
def app_config(smtp_sink):  # noqa: F811
    return smtp_sink.config


@pytest.fixture
def hostile(app, db):
    tenant = gen_tenant(f"T {XSS}", slug="acme")
    comp = gen_component(f"C {XSS}")
    incident = gen_incident(name=f"I {XSS} {SQL}", body=f"B {XSS}\n\n[link](javascript:alert(3)) {SQL}",
                            components=[comp])
    db.session.add(Playbook(name=f"P {XSS}", texts={"en": {"title": f"T {XSS}", "body": f"B {XSS}"}}))
    gen_subscriber("reader@example.com")
    gen_subscriber("acme@example.com", tenant=tenant)
    fan_out_update(incident.updates[0])
    db.session.commit()
    return {"incident": incident, "tenant": tenant, "component": comp}


def _assert_inert(text: str, where: str) -> None:
    assert not LIVE.search(text), f"live markup in {where}: {LIVE.search(text).group(0)}"
    assert not re.search(r"""(href|src)\s*=\s*["']?\s*javascript:""", text, re.I), f"javascript: link in {where}"


def test_public_pages_and_api_escape_every_field(app, client, hostile):
    inc = hostile["incident"].id
    for path in ("/", f"/incidents/{inc}", "/history", "/t/acme/", f"/t/acme/incidents/{inc}", "/embed", "/badge.svg",
                 "/api/v2/summary.json", "/api/v2/incidents.json", "/subscribe?tenant=acme"):
        resp = client.get(path)
        assert resp.status_code == 200, path
        body = resp.get_data(as_text=True)
        if path.endswith(".json"):
            assert resp.content_type.startswith("application/json")
            assert SQL in resp.get_json().__repr__().replace("\\'", "'") or "incidents" not in path
            continue
        _assert_inert(body, path)
    assert "&lt;script&gt;" in client.get(f"/incidents/{inc}").get_data(as_text=True)  # shown, as text


@pytest.mark.parametrize("path", ["/feed.rss", "/feed.atom", "/t/acme/feed.atom"])
def test_feeds_escape_twice_so_readers_render_text(app, client, hostile, path):
    resp = client.get(path)
    assert resp.status_code == 200
    root = ET.fromstring(resp.data)  # well-formed whatever the input
    html_parts = [el for el in root.iter()
                  if el.get("type") in ("html", "xhtml") or el.tag in ("description", "{http://purl.org/rss/1.0/modules/content/}encoded")]
    assert html_parts
    for el in html_parts:
        _assert_inert(el.text or "", f"{path} <{el.tag}>")  # the HTML a feed reader would render


def test_emails_escape_html_and_keep_the_subject_on_one_line(app, db, smtp_sink, hostile):  # noqa: F811
    drain_outbox()
    assert len(smtp_sink.messages) == 2
    for m in smtp_sink.messages:
        msg = m["message"]
        _assert_inert(msg.get_body(("html",)).get_content(), "email html")
        assert "\n" not in msg["Subject"] and "\r" not in msg["Subject"]
        assert "&lt;script&gt;" in msg.get_body(("html",)).get_content()


def test_admin_pages_escape_every_field(app, db, client, hostile, login):
    login("admin")
    inc = hostile["incident"].id
    for path in ("/admin/", "/admin/incidents", f"/admin/incidents/{inc}", "/admin/components", "/admin/tenants",
                 "/admin/playbooks", "/admin/deliveries", "/admin/audit", "/admin/trash"):
        resp = client.get(path)
        assert resp.status_code == 200, path
        _assert_inert(resp.get_data(as_text=True), path)


def test_hostile_subscriber_locale_is_refused_or_ignored(app, db, client):
    resp = client.post("/subscribe", json={"email": "loc@example.com", "locale": XSS})
    assert resp.status_code in (202, 400)
    from statuspage.models import Subscriber

    for sub in db.session.query(Subscriber).all():
        assert sub.locale in ("en", "zh_Hans")
    _, raw = gen_api_token(gen_admin())
    db.session.commit()
    resp = client.post("/api/admin/v1/subscribers", json={"email": "api@example.com", "locale": XSS},
                       headers={"Authorization": f"Bearer {raw}"})
    assert resp.status_code == 422


def test_sql_metacharacters_are_only_characters(app, db, client, hostile):
    _, raw = gen_api_token(gen_admin())
    db.session.commit()
    bearer = {"Authorization": f"Bearer {raw}"}
    for path in ("/history?page=1'--", "/incidents/1%27%20OR%201=1", "/t/acme'--/", "/t/%27%3B--/feed.atom",
                 "/api/v2/incidents.json?limit=1;DROP", "/subscribe?tenant=x'%20OR%20'1'='1"):
        assert client.get(path).status_code < 500, path
    for query in ("status=' OR 1=1 --", "incident_id=1 OR 1=1", "status=sent'; DROP TABLE delivery;--"):
        resp = client.get(f"/api/admin/v1/deliveries?{query}", headers=bearer)
        assert resp.status_code < 500, query
        assert resp.status_code >= 400 or resp.get_json() == [] or isinstance(resp.get_json(), (list, dict))
    resp = client.post("/subscribe", json={"email": "o'brien@example.com", "tenant": "acme' OR '1'='1"})
    assert resp.status_code == 400  # no such page, said plainly
    assert client.get("/api/v2/incidents.json").status_code == 200  # every table still there
    assert SQL in client.get(f"/incidents/{hostile['incident'].id}").get_data(as_text=True).replace("&#39;", "'")


def test_a_line_break_in_a_title_cannot_add_an_email_header(app, db, client, smtp_sink):  # noqa: F811
    gen_subscriber("reader@example.com")
    _, raw = gen_api_token(gen_admin())
    db.session.commit()
    resp = client.post("/api/admin/v1/incidents", headers={"Authorization": f"Bearer {raw}"},
                       json={"name": "Outage\r\nBcc: evil@example.net", "status": "investigating", "impact": "major",
                             "body": "x", "deliver_notifications": True})
    assert resp.status_code in (201, 422)
    drain_outbox()
    assert "evil@example.net" not in smtp_sink.recipients()
    for m in smtp_sink.messages:
        assert m["message"]["Bcc"] is None
        assert "\n" not in m["message"]["Subject"]
