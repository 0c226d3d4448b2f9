"""Public pages are the same bytes for every reader, so a CDN can keep them; the subscribe form stays CSRF-safe."""

import pytest

from statuspage.models import Subscriber
from tests.helpers import csrf_token


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True}


@pytest.mark.parametrize("path", ["/", "/history", "/api/v2/summary.json", "/feed.atom"])
def test_public_answers_set_no_cookie(client, path):
    resp = client.get(path)
    assert resp.status_code == 200
    assert "Set-Cookie" not in resp.headers
    assert resp.headers["Cache-Control"].startswith("public")


def test_two_readers_get_identical_bytes(app):
    first = app.test_client().get("/").get_data()
    second = app.test_client().get("/").get_data()
    assert first == second


def test_status_page_form_subscribes_when_posted_from_our_origin(app, db, client):
    resp = client.post("/subscribe", data={"email": "reader@example.com"}, headers={"Origin": "http://localhost"})
    assert resp.status_code in (200, 303)
    assert db.session.query(Subscriber).filter_by(address="reader@example.com").count() == 1


def test_a_forged_cross_site_post_stores_nothing_and_offers_a_form_to_confirm(app, db, client):
    resp = client.post("/subscribe", data={"email": "victim@example.com"}, headers={"Origin": "https://evil.example"})
    assert resp.status_code == 400
    assert db.session.query(Subscriber).count() == 0
    page = resp.get_data(as_text=True)
    assert 'value="victim@example.com"' in page
    token = csrf_token(page)
    again = client.post("/subscribe", data={"email": "victim@example.com", "csrf_token": token})
    assert again.status_code in (200, 303)
    assert db.session.query(Subscriber).filter_by(address="victim@example.com").count() == 1
