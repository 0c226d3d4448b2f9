"""Sign-in, roles, second factor, sessions and API tokens from the admin UI."""
from __future__ import annotations

import hashlib
import re
import time

import pyotp
import pytest

from statuspage.models import ApiToken, AuditEntry
from tests.factories import PASSWORD, gen_admin
from tests.helpers import without_csrf_tokens


def test_unknown_email_and_wrong_password_get_the_same_answer(client, db):
    gen_admin("known@example.com")
    db.session.commit()
    unknown = client.post("/admin/login", data={"email": "nobody@example.com", "password": "whatever-123"})
    wrong = client.post("/admin/login", data={"email": "known@example.com", "password": "whatever-123"})
    assert unknown.status_code == wrong.status_code == 401
    def strip(resp, email):
        return without_csrf_tokens(resp.get_data(as_text=True).replace(email, "EMAIL"))

    assert strip(unknown, "nobody@example.com") == strip(wrong, "known@example.com")
    assert "Email or password is incorrect." in wrong.get_data(as_text=True)


def test_admin_pages_need_a_signed_in_user(client, app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("admin.") and "GET" in rule.methods and not rule.arguments \
                and rule.endpoint not in ("admin.login", "admin.login_second_factor"):
            resp = client.get(rule.rule)
            assert resp.status_code == 302 and "/admin/login" in resp.headers["Location"], rule.rule


def test_viewer_cannot_post_an_incident(client, db, login):
    login("viewer")
    resp = client.post("/admin/incidents/new", data={"name": "X", "status": "investigating", "impact": "minor",
                                                     "visibility": "public", "audience": "everyone", "action": "post"})
    assert resp.status_code == 403
    from statuspage.models import Incident
    assert db.session.query(Incident).count() == 0


def test_responder_cannot_manage_users_tenants_or_settings(client, db, login):
    login("responder")
    assert client.get("/admin/users").status_code == 403
    assert client.post("/admin/tenants", data={"name": "Acme", "slug": "acme"}).status_code == 403
    assert client.post("/admin/users", data={"email": "x@example.com", "role": "admin"}).status_code == 403
    assert client.get("/admin/settings").status_code == 403
    assert client.get("/admin/audit").status_code == 403


def test_logout_everywhere_ends_every_session(app, db, login):
    first, second = app.test_client(), app.test_client()
    user = login("responder", c=first)
    second.post("/admin/login", data={"email": user.email, "password": PASSWORD})
    assert second.get("/admin/").status_code == 200
    assert first.post("/admin/account/logout-everywhere").status_code == 302
    assert second.get("/admin/").status_code == 302
    assert first.get("/admin/").status_code == 302


def test_password_change_signs_out_other_sessions_but_not_this_one(app, db, login):
    mine, other = app.test_client(), app.test_client()
    user = login("viewer", c=mine)
    other.post("/admin/login", data={"email": user.email, "password": PASSWORD})
    resp = mine.post("/admin/account", data={"current_password": PASSWORD, "password": "a brand new secret",
                                             "confirm": "a brand new secret"})
    assert resp.status_code == 302
    assert mine.get("/admin/").status_code == 200
    assert other.get("/admin/").status_code == 302
    fresh = app.test_client()
    assert fresh.post("/admin/login", data={"email": user.email, "password": PASSWORD}).status_code == 401
    assert fresh.post("/admin/login", data={"email": user.email, "password": "a brand new secret"}).status_code == 302


def test_totp_needs_the_code_and_a_recovery_code_works_once(app, client, db, login):
    user = login("admin")
    page = client.get("/admin/account/two-factor").get_data(as_text=True)
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1)
    resp = client.post("/admin/account/two-factor", data={"code": pyotp.TOTP(secret).now()})
    assert resp.status_code == 200
    codes = re.findall(r"<li><code>([0-9a-f-]+)</code></li>", resp.get_data(as_text=True))
    assert len(codes) == 10

    fresh = app.test_client()
    resp = fresh.post("/admin/login", data={"email": user.email, "password": PASSWORD})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/admin/login/verify")
    assert fresh.get("/admin/").status_code == 302  # the password alone is not enough
    assert fresh.post("/admin/login/verify", data={"code": "000000"}).status_code == 401
    # The code that turned it on is spent; the next time-step's code is accepted.
    next_code = pyotp.TOTP(secret).at(time.time() + 30)
    assert fresh.post("/admin/login/verify", data={"code": next_code}).status_code == 302
    assert fresh.get("/admin/").status_code == 200

    again = app.test_client()
    again.post("/admin/login", data={"email": user.email, "password": PASSWORD})
    assert again.post("/admin/login/verify", data={"code": codes[0]}).status_code == 302
    third = app.test_client()
    third.post("/admin/login", data={"email": user.email, "password": PASSWORD})
    assert third.post("/admin/login/verify", data={"code": codes[0]}).status_code == 401


def test_api_token_is_shown_once_stored_hashed_and_never_above_its_user(client, db, login):
    login("responder")
    resp = client.post("/admin/tokens", data={"name": "deploy bot", "role": "admin"})
    assert resp.status_code == 422
    assert db.session.query(ApiToken).count() == 0
    resp = client.post("/admin/tokens", data={"name": "deploy bot", "role": "responder"})
    html = resp.get_data(as_text=True)
    raw = html.split('class="token" readonly value="')[1].split('"')[0]
    token = db.session.query(ApiToken).one()
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    listing = client.get("/admin/tokens").get_data(as_text=True)
    assert raw not in listing
    assert "<td>never</td>" in listing

    api = client.get("/api/admin/v1/components", headers={"Authorization": f"Bearer {raw}"})
    assert api.status_code == 200
    assert token.last_used_at is not None
    assert "<td>never</td>" not in client.get("/admin/tokens").get_data(as_text=True)

    client.post(f"/admin/tokens/{token.id}/revoke")
    assert client.get("/api/admin/v1/components", headers={"Authorization": f"Bearer {raw}"}).status_code == 401
    actions = [e.action for e in db.session.query(AuditEntry).filter_by(object_type="api_token")]
    assert actions == ["create", "revoke"]


class TestThrottling:
    @pytest.fixture
    def app_config(self):
        return {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://"}

    def test_login_is_throttled(self, client, db):
        gen_admin("known@example.com")
        db.session.commit()
        codes = [client.post("/admin/login", data={"email": "known@example.com", "password": f"guess-{i}"}).status_code
                 for i in range(12)]
        assert codes[:10] == [401] * 10
        assert codes[10:] == [429, 429]
        # Even the right password waits out the window.
        assert client.post("/admin/login", data={"email": "known@example.com",
                                                 "password": PASSWORD}).status_code == 429
