"""With CSRF protection on (as in production), a form post without the token is refused."""
from __future__ import annotations

import pytest

from statuspage.models import Incident
from tests.factories import PASSWORD, gen_admin
from tests.helpers import csrf_token


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True}


def test_login_without_csrf_token_is_refused(client, db):
    gen_admin("a@example.com")
    db.session.commit()
    assert client.post("/admin/login", data={"email": "a@example.com", "password": PASSWORD}).status_code == 400
    token = csrf_token(client.get("/admin/login").get_data(as_text=True))
    resp = client.post("/admin/login", data={"email": "a@example.com", "password": PASSWORD, "csrf_token": token})
    assert resp.status_code == 302


def test_incident_form_without_csrf_token_is_refused(client, db):
    gen_admin("a@example.com")
    db.session.commit()
    token = csrf_token(client.get("/admin/login").get_data(as_text=True))
    client.post("/admin/login", data={"email": "a@example.com", "password": PASSWORD, "csrf_token": token})
    data = {"name": "Withdrawals failing", "status": "investigating", "impact": "major", "body": "Looking.",
            "visibility": "public", "audience": "everyone", "action": "post"}
    assert client.post("/admin/incidents/new", data=data).status_code == 400
    assert client.post("/admin/incidents/new", data={**data, "csrf_token": "forged"}).status_code == 400
    assert db.session.query(Incident).count() == 0
    token = csrf_token(client.get("/admin/incidents/new").get_data(as_text=True))
    assert client.post("/admin/incidents/new", data={**data, "csrf_token": token}).status_code == 302
    assert db.session.query(Incident).count() == 1


def test_api_needs_no_csrf_token_but_a_bearer_token(client, db):
    from tests.factories import gen_api_token

    user = gen_admin("a@example.com")
    _token_row, raw = gen_api_token(user)
    db.session.commit()
    resp = client.post("/api/admin/v1/components", json={"name": "API"}, headers={"Authorization": f"Bearer {raw}"})
    assert resp.status_code == 201
