"""Sign-in throttling, token revocation and scope, sessions ending, and no account enumeration."""
from __future__ import annotations

import re
import statistics
import time

import pytest

from tests.factories import PASSWORD, gen_admin, gen_api_token, gen_subscriber



def _timed(fn, n=5):
    times = []
    for _ in range(n):
        started = time.perf_counter()
        resp = fn()
        times.append(time.perf_counter() - started)
    return resp, statistics.median(times)


def _similar(a: float, b: float) -> bool:
    return max(a, b) <= 3 * min(a, b) + 0.02


def test_login_does_not_tell_unknown_emails_from_wrong_passwords(app, db, client):
    gen_admin("real@example.com")
    db.session.commit()
    wrong, t_wrong = _timed(lambda: client.post("/admin/login", data={"email": "real@example.com", "password": "nope"}))
    unknown, t_unknown = _timed(lambda: client.post("/admin/login", data={"email": "ghost@example.com", "password": "nope"}))
    assert wrong.status_code == unknown.status_code == 401
    strip = lambda r, e: re.sub(r'value="[^"]*"', "", r.get_data(as_text=True).replace(e, "EMAIL"))  # noqa: E731
    assert strip(wrong, "real@example.com") == strip(unknown, "ghost@example.com")
    assert _similar(t_wrong, t_unknown), (t_wrong, t_unknown)  # the password hash runs either way


class TestSubscribeTiming:
    @pytest.fixture
    def app_config(self):
        return {"SUBSCRIBE_MIN_RESPONSE_SECONDS": 0.3}  # the production default (tests run with 0)

    def test_subscribe_and_unsubscribe_do_not_reveal_who_is_subscribed(self, app, db, client):
        _subscribe_and_unsubscribe_look_the_same(db, client)


def _subscribe_and_unsubscribe_look_the_same(db, client):
    sub = gen_subscriber("known@example.com")
    db.session.commit()
    known, t_known = _timed(lambda: client.post("/subscribe", json={"email": "known@example.com"}), n=3)
    new, t_new = _timed(lambda: client.post("/subscribe", json={"email": "new@example.com"}), n=3)
    assert known.status_code == new.status_code == 202
    assert known.get_json()["message"] == new.get_json()["message"]
    assert set(known.get_json()) == set(new.get_json())
    assert _similar(t_known, t_new), (t_known, t_new)
    first = client.post(f"/unsubscribe/{sub.token}", json={})
    again = client.post(f"/unsubscribe/{sub.token}", json={})
    assert first.status_code == again.status_code and first.get_data() == again.get_data()


class TestThrottling:
    @pytest.fixture
    def app_config(self):
        return {"RATELIMIT_ENABLED": True}

    def test_wrong_passwords_are_throttled_then_even_the_right_one_waits(self, app, db, client):
        from statuspage.extensions import limiter

        limiter.reset()
        gen_admin("victim@example.com")
        db.session.commit()
        codes = [client.post("/admin/login", data={"email": "victim@example.com", "password": f"guess{i}"},
                             environ_base={"REMOTE_ADDR": f"198.51.100.{i}"}).status_code for i in range(12)]
        assert codes[:10] == [401] * 10 and codes[10:] == [429, 429]  # per account, whatever the IP
        right = client.post("/admin/login", data={"email": "victim@example.com", "password": PASSWORD})
        assert right.status_code == 429 and right.headers.get("Retry-After")
        limiter.reset()


def test_revoked_token_stops_at_once_and_a_viewer_token_cannot_write(app, db, client, login):
    user = login("admin")
    token, raw = gen_api_token(user, name="script")
    _, viewer_raw = gen_api_token(user, role="viewer", name="read-only")
    db.session.commit()
    bearer = {"Authorization": f"Bearer {raw}"}
    assert client.get("/api/admin/v1/components", headers=bearer).status_code == 200
    viewer = {"Authorization": f"Bearer {viewer_raw}"}
    assert client.get("/api/admin/v1/components", headers=viewer).status_code == 200
    assert client.post("/api/admin/v1/components", json={"name": "X"}, headers=viewer).status_code == 403
    assert client.post(f"/admin/tokens/{token.id}/revoke").status_code == 302
    assert client.get("/api/admin/v1/components", headers=bearer).status_code == 401
    assert client.get("/api/admin/v1/components", headers={"Authorization": f"Bearer {raw}x"}).status_code == 401


def test_a_copied_session_cookie_stops_working_after_logout(app, db, client, login):
    login("admin")
    assert client.get("/admin/").status_code == 200
    stolen = client.get_cookie("session").value
    assert client.post("/admin/logout").status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    resp = thief.get("/admin/")
    assert resp.status_code == 302 and "/admin/login" in resp.headers["Location"]


def test_a_password_change_ends_other_sessions(app, db, client, login):
    user = login("admin")
    other = app.test_client()
    assert other.post("/admin/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    assert other.get("/admin/").status_code == 200
    from statuspage.services.accounts import set_password

    set_password(user, "a brand new passphrase")
    db.session.commit()
    assert other.get("/admin/").status_code == 302
