"""Fixtures for the Statuspage manage API v1 tests: `oauth(role)` headers and the page id `pid`."""
from __future__ import annotations

import pytest

from tests.factories import gen_admin, gen_api_token


@pytest.fixture
def oauth(db):
    """oauth(role="admin") -> {"Authorization": "OAuth <token>"}, as Statuspage's docs send the API key."""
    made = {}

    def _oauth(role="admin"):
        user = made.get(role) or gen_admin(f"v1-{role}@example.com", role=role)
        made[role] = user
        _token, raw = gen_api_token(user, role=role)
        db.session.commit()
        return {"Authorization": f"OAuth {raw}"}

    return _oauth


@pytest.fixture
def pid(client, oauth):
    """The page id, read the way a script reads it: GET /v1/pages."""
    resp = client.get("/v1/pages.json", headers=oauth("viewer"))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()[0]["id"]
