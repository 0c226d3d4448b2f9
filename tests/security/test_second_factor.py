"""TOTP guesses cost: per user and per pending sign-in, with backoff and a lockout an admin lifts; a code
works once; the seed being enrolled never leaves the server, and seeds are encrypted at rest."""
from __future__ import annotations

import re
import time

import pyotp
import pytest
from sqlalchemy import select, text

from statuspage.models import AdminUser, AuditEntry
from statuspage.services import second_factor
from statuspage.services.audit import Actor
from tests.factories import PASSWORD, gen_admin, gen_subscriber


@pytest.fixture(autouse=True)
def _limits(fresh_limits):
    pass


def _enrolled(db, email="ops@example.com") -> tuple[AdminUser, str]:
    user = gen_admin(email, role="admin")
    db.session.commit()
    secret = second_factor.enrolment_secret(user)
    second_factor.enable_totp(user, pyotp.TOTP(secret).now(), actor=Actor.system())
    return user, secret


def _pending(app, user, addr="198.51.100.1"):
    c = app.test_client()
    resp = c.post("/admin/login", data={"email": user.email, "password": PASSWORD},
                  environ_base={"REMOTE_ADDR": addr})
    assert resp.headers["Location"].endswith("/admin/login/verify")
    return c


def _verify(c, code, addr="198.51.100.1"):
    return c.post("/admin/login/verify", data={"code": code}, environ_base={"REMOTE_ADDR": addr})


def _forget_backoff(db, user):
    db.session.execute(text("UPDATE admin_user SET totp_last_failure_at = NULL WHERE id = :id"), {"id": user.id})
    db.session.commit()


def test_a_code_works_once(app, db):
    user, secret = _enrolled(db)
    code = pyotp.TOTP(secret).at(time.time() + 30)
    assert _verify(_pending(app, user), code).status_code == 302
    assert _verify(_pending(app, user), code).status_code == 401


def test_the_code_that_enabled_totp_does_not_sign_in(app, db):
    user = gen_admin("ops@example.com", role="admin")
    db.session.commit()
    secret = second_factor.enrolment_secret(user)
    code = pyotp.TOTP(secret).now()
    second_factor.enable_totp(user, code, actor=Actor.system())
    assert _verify(_pending(app, user), code).status_code == 401


def test_wrong_codes_back_off_per_user_whatever_the_address(app, db):
    user, secret = _enrolled(db)
    for i in range(second_factor.FREE_FAILURES):
        assert _verify(_pending(app, user, f"203.0.113.{i}"), "000000", f"203.0.113.{i}").status_code == 401
    # From a new address and a new pending sign-in, the next try must wait, even with the right code.
    resp = _verify(_pending(app, user, "203.0.113.99"), pyotp.TOTP(secret).at(time.time() + 30), "203.0.113.99")
    assert resp.status_code == 429


def test_too_many_wrong_codes_lock_the_user_until_an_admin_unlocks(app, db, client, login):
    user, secret = _enrolled(db)
    for i in range(second_factor.MAX_FAILURES):
        _forget_backoff(db, user)
        _verify(_pending(app, user, f"203.0.113.{i}"), "000000", f"203.0.113.{i}")
    db.session.expire_all()
    assert user.totp_locked
    _forget_backoff(db, user)
    good = pyotp.TOTP(secret).at(time.time() + 30)
    assert _verify(_pending(app, user), good).status_code == 423
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_id == str(user.id))).all()
    assert actions.count("totp_failure") == second_factor.MAX_FAILURES and "lock_totp" in actions

    login("admin", email="boss@example.com")
    assert client.post(f"/admin/users/{user.id}", data={"action": "unlock_totp"}).status_code == 302
    db.session.expire_all()
    assert not user.totp_locked and user.totp_failures == 0
    assert "unlock_totp" in db.session.scalars(select(AuditEntry.action)).all()
    assert _verify(_pending(app, user), good).status_code == 302


def test_one_pending_sign_in_gets_a_few_guesses_then_needs_the_password_again(app, db):
    user, secret = _enrolled(db)
    c = _pending(app, user)
    answers = []
    for i in range(second_factor.PENDING_MAX_FAILURES):
        _forget_backoff(db, user)
        answers.append(_verify(c, "000000", f"203.0.113.{i}").status_code)
    assert answers[:-1] == [401] * (second_factor.PENDING_MAX_FAILURES - 1)
    assert answers[-1] == 303
    _forget_backoff(db, user)
    resp = _verify(c, pyotp.TOTP(secret).at(time.time() + 30))
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/admin/login")


def test_the_enrolment_seed_stays_on_the_server(app, client, db, login):
    user = login("admin")
    page = client.get("/admin/account/two-factor").get_data(as_text=True)
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1)
    with client.session_transaction() as sess:
        assert secret not in repr(dict(sess))
    assert client.get("/admin/account/two-factor").get_data(as_text=True).count(secret) >= 1  # the same seed
    db.session.expire_all()
    assert db.session.get(AdminUser, user.id).totp_pending_secret == secret


def test_totp_and_webhook_secrets_are_encrypted_at_rest(app, db):
    user, secret = _enrolled(db)
    sub = gen_subscriber("https://hooks.example.com/x", channel="webhook", webhook_secret="whsec-plain")
    db.session.commit()
    stored_seed = db.session.execute(text("SELECT totp_secret FROM admin_user WHERE id = :id"), {"id": user.id}).scalar()
    stored_hook = db.session.execute(text("SELECT webhook_secret FROM subscriber WHERE id = :id"),
                                     {"id": sub.id}).scalar()
    assert stored_seed.startswith("enc1:") and secret not in stored_seed
    assert stored_hook.startswith("enc1:") and "whsec-plain" not in stored_hook
    db.session.expire_all()
    assert db.session.get(AdminUser, user.id).totp_secret == secret


def test_an_old_secret_key_in_the_fallbacks_still_reads_the_secrets(app, db):
    user, secret = _enrolled(db)
    app.config["SECRET_KEY_FALLBACKS"] = [app.config["SECRET_KEY"]]
    app.config["SECRET_KEY"] = "a-new-secret-key"
    db.session.expire_all()
    assert db.session.get(AdminUser, user.id).totp_secret == secret


def test_reencrypt_secrets_moves_every_secret_to_the_new_key(app, db, runner):
    user, secret = _enrolled(db)
    old_key = app.config["SECRET_KEY"]
    app.config["SECRET_KEY_FALLBACKS"] = [old_key]
    app.config["SECRET_KEY"] = "a-new-secret-key"
    result = runner.invoke(args=["reencrypt-secrets"])
    assert result.exit_code == 0 and "Re-encrypted 1 secrets" in result.output
    app.config["SECRET_KEY_FALLBACKS"] = []
    db.session.expire_all()
    assert db.session.get(AdminUser, user.id).totp_secret == secret
