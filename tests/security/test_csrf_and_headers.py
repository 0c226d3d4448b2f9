"""CSRF on every state-changing form, cookies behind an HTTPS proxy, strict CSP, no inline code."""
from __future__ import annotations

import re

import pytest

from statuspage import create_app
from tests.factories import gen_admin, gen_component, gen_incident, gen_tenant
from tests.helpers import csrf_token

# Not browser forms: JSON APIs with bearer tokens, signed provider callbacks, and RFC 8058
# one-click unsubscribe (mail providers POST it without cookies; the token in the URL is the secret).
# By design: one-click unsubscribe (RFC 8058) and the monitoring tools' secret-URL webhook.
CSRF_EXEMPT = {"subscriptions.unsubscribe", "integrations.receive"}
DUMMY = {"component_id": "1", "incident_id": "1", "template_id": "1", "tenant_id": "1", "user_id": "1",
         "token_id": "1", "feed_id": 1, "kind": "incident", "object_id": "1", "token": "x", "slug": "acme"}


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True}


def _form_routes(app):
    for rule in app.url_map.iter_rules():
        # Token-authenticated APIs (no cookies) and provider callbacks are not forms.
        if "POST" not in rule.methods or rule.rule.startswith(("/api/", "/webhooks/", "/v1/")):
            continue
        if rule.endpoint in CSRF_EXEMPT:
            continue
        values = {name: DUMMY.get(name, "1") for name in rule.arguments}  # any new route argument gets "1"
        yield rule, rule.build(values, append_unknown=False)[1]


def test_every_form_post_without_a_token_is_refused(app, db, client):
    _sign_in(db, client)
    checked = []
    for rule, url in _form_routes(app):
        resp = client.post(url, data={"email": "x@example.com", "name": "x"})
        assert resp.status_code == 400, (url, resp.status_code)
        checked.append(rule.endpoint)
    assert len(checked) >= 25 and "subscriptions.subscribe" in checked and "admin.login" in checked
    # JSON subscribe is the exception by design (no cookies, needs a CORS preflight).
    assert client.post("/subscribe", json={"email": "a@example.com"}).status_code == 202


def test_json_subscribe_does_not_accept_a_form_in_disguise(client):
    resp = client.post("/subscribe", data="email=a@example.com", content_type="text/plain")
    assert resp.status_code == 400


def _https_app(app, monkeypatch):
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://status.example")
    monkeypatch.setenv("PROXY_FIX", "1")
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                       "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": True})


def test_cookies_are_secure_samesite_and_httponly_behind_an_https_proxy(app, db, monkeypatch):
    gen_admin()
    tenant = gen_tenant("Globex", private=True)
    db.session.commit()
    from statuspage.services.tenants import access_token

    secure_app = _https_app(app, monkeypatch)
    client = secure_app.test_client()
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9", "X-Forwarded-Host": "status.example"}
    resp = client.get("/admin/login", headers=https)
    cookies = resp.headers.getlist("Set-Cookie")
    assert cookies and all("Secure" in c and "HttpOnly" in c and "SameSite=Lax" in c for c in cookies), cookies
    assert "max-age=31536000" in resp.headers["Strict-Transport-Security"]
    access = client.get(f"/t/globex/?access={access_token(tenant)}", headers=https)
    assert access.status_code == 303
    cookie = access.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/t/globex/" in cookie
    plain = client.get("/", headers={"X-Forwarded-Proto": "http"})
    assert "Strict-Transport-Security" not in plain.headers  # HSTS only over HTTPS


def _sign_in(db, client):
    gen_admin()
    db.session.commit()
    resp = client.post("/admin/login", data={"email": "admin@example.com", "password": "correct horse battery",
                                             "csrf_token": csrf_token(client.get("/admin/login").get_data(as_text=True))})
    assert resp.status_code == 302


def _pages(app, db, client):
    incident = gen_incident("Payments delayed", body="**Call** the hotline", components=[gen_component("API")])
    gen_tenant("Acme")
    db.session.commit()
    public = ["/", "/history", f"/incidents/{incident.id}", "/subscribe", "/t/acme/", "/embed", "/t/acme/embed",
              "/admin/login"]
    _sign_in(db, client)
    admin = [r.rule for r in app.url_map.iter_rules()
             if r.rule.startswith("/admin") and "GET" in r.methods and not r.arguments and r.rule != "/admin/login"]
    admin += [f"/admin/incidents/{incident.id}"]
    return public + admin


def test_every_page_has_strict_headers_and_no_inline_code(app, db, client):
    scanned = 0
    for path in _pages(app, db, client):
        resp = client.get(path)
        if resp.status_code != 200 or "html" not in resp.content_type:
            continue
        scanned += 1
        csp = resp.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp, path
        assert "object-src 'none'" in csp and "base-uri 'none'" in csp, path
        assert resp.headers["X-Content-Type-Options"] == "nosniff", path
        assert resp.headers.get("Referrer-Policy"), path
        if "embed" not in path:
            assert "frame-ancestors 'none'" in csp and resp.headers["X-Frame-Options"] == "DENY", path
        html = resp.get_data(as_text=True)
        for tag in re.findall(r"<script\b[^>]*>(.*?)</script>", html, flags=re.S | re.I):
            assert not tag.strip(), f"inline script on {path}: {tag[:80]!r}"
        assert all("src=" in t for t in re.findall(r"<script\b[^>]*>", html, flags=re.I)), path
        assert not re.search(r"\son[a-z]+\s*=", html, flags=re.I), f"inline event handler on {path}"
        assert not re.search(r"\sstyle\s*=", html, flags=re.I), f"inline style on {path}"
        assert "javascript:" not in html.lower(), path
        if path.startswith("/admin") and path != "/admin/login":
            assert resp.headers["Cache-Control"] == "no-store", path
    assert scanned >= 20
