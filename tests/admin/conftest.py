"""Signed-in clients for each role."""
from __future__ import annotations

import pytest

from tests.factories import gen_admin

PASSWORD = "correct horse battery"


@pytest.fixture
def login(client, db):
    """login(role) creates a user with that role and signs `client` in as them."""

    def _login(role="admin", email=None, c=None):
        user = gen_admin(email=email or f"{role}@example.com", role=role, password=PASSWORD)
        db.session.commit()
        resp = (c or client).post("/admin/login", data={"email": user.email, "password": PASSWORD})
        assert resp.status_code == 302, resp.get_data(as_text=True)
        return user

    return _login


@pytest.fixture(autouse=True)
def _fresh_identity_per_request(app):
    """The `app` fixture keeps one app context for the whole test, so `g` (where Flask-Login caches
    the signed-in user) would outlive a request; in production every request starts with a fresh one."""
    from flask import g

    @app.before_request
    def _forget_cached_user():
        g.pop("_login_user", None)
        g.pop("csrf_token", None)
