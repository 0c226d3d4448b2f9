"""Subscribing from the public page: double opt-in, codes, limits, unsubscribe, manage."""
from __future__ import annotations

import json
import re
import time

import pytest

from statuspage.delivery.runner import drain_outbox
from statuspage.models import Delivery, Subscriber
from tests.doubles.smtp import smtp_sink  # noqa: F401  (fixture)
from tests.factories import gen_component, gen_subscriber, gen_tenant

pytestmark = pytest.mark.usefixtures("fresh_limits")


@pytest.fixture
def app_config(smtp_sink):  # noqa: F811
    return smtp_sink.config




def _confirm_link(smtp_sink) -> str:
    body = smtp_sink.messages[-1]["message"].get_body(("plain",)).get_content()
    return re.search(r"http://status\.test(/subscriptions/confirm/\S+)", body).group(1)


def test_email_double_opt_in(app, db, client, smtp_sink):
    api = gen_component("API")
    db.session.commit()
    resp = client.post("/subscribe", json={"email": "Ann@Example.com", "component_ids": [api.id], "locale": "zh_Hans"})
    assert resp.status_code == 202 and resp.json["status"] == "pending"
    sub = db.session.query(Subscriber).one()
    assert sub.address == "ann@example.com" and not sub.confirmed and sub.locale == "zh_Hans"
    drain_outbox()
    assert smtp_sink.recipients() == ["ann@example.com"]
    link = _confirm_link(smtp_sink)
    resp = client.get(link)  # what a link-scanning mail gateway does: shows the button, confirms nothing
    assert resp.status_code == 200 and f'action="{link}"' in resp.get_data(as_text=True)
    db.session.expire_all()
    assert not db.session.query(Subscriber).one().confirmed
    resp = client.post(link)
    assert resp.status_code == 200
    db.session.expire_all()
    sub = db.session.query(Subscriber).one()
    assert sub.confirmed and [c.id for c in sub.components] == [api.id]


def test_subscribing_an_existing_address_answers_the_same_and_sends_nothing(app, db, client, smtp_sink):
    gen_subscriber("known@example.com")
    db.session.commit()
    known = client.post("/subscribe", json={"email": "known@example.com"})
    new = client.post("/subscribe", json={"email": "new@example.com"})
    assert known.status_code == new.status_code == 202
    assert set(known.json) == set(new.json) and known.json["message"] == new.json["message"]
    drain_outbox()
    assert smtp_sink.recipients() == ["new@example.com"]


def test_an_expired_confirm_link_is_refused(app, db, client, smtp_sink, monkeypatch):
    client.post("/subscribe", json={"email": "late@example.com"})
    drain_outbox()
    link = _confirm_link(smtp_sink)
    real = time.time
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: real() + 49 * 3600)
    resp = client.post(link)
    assert resp.status_code == 410 and b"expired" in resp.data
    assert client.get(link).status_code == 410
    db.session.expire_all()
    assert not db.session.query(Subscriber).one().confirmed


def test_a_tampered_confirm_link_is_refused(app, db, client, smtp_sink):
    client.post("/subscribe", json={"email": "x@example.com"})
    drain_outbox()
    resp = client.post(_confirm_link(smtp_sink)[:-3] + "abc")
    assert resp.status_code == 404


def test_bad_email_gets_a_clear_400(app, client):
    resp = client.post("/subscribe", json={"email": "not-an-email"})
    assert resp.status_code == 400 and resp.json["error"]["field"] == "email"


def test_unknown_tenant_is_a_400_not_a_500(app, client):
    resp = client.post("/subscribe", json={"email": "a@example.com", "tenant": "nope"})
    assert resp.status_code == 400


def test_subscribe_to_a_tenant_page(app, db, client):
    tenant = gen_tenant("Acme")
    db.session.commit()
    client.post("/subscribe", json={"email": "a@example.com", "tenant": "acme"})
    assert db.session.query(Subscriber).one().tenant_id == tenant.id


def test_sms_outside_the_allowed_countries_is_refused_clearly(app, client):
    app.config["SMS_ALLOWED_COUNTRIES"] = ["US"]
    resp = client.post("/subscribe", json={"phone": "+44 20 7946 0958"})
    assert resp.status_code == 400 and "GB" in resp.json["error"]["message"]


def test_sms_confirm_code_with_limited_attempts(app, db, client):
    resp = client.post("/subscribe", json={"phone": "+1 (415) 555-0123"})
    assert resp.status_code == 202
    page = resp.json["confirm_url"]
    row = db.session.query(Delivery).filter_by(kind="confirm").one()
    assert row.channel == "sms" and row.recipient == "+14155550123"
    code = re.search(r"\b(\d{6})\b", json.loads(row.payload)["text"]).group(1)
    wrong = "000000" if code != "000000" else "111111"
    assert client.get(page).status_code == 200
    assert client.post(page, data={"code": wrong}).status_code == 400
    assert client.post(page, data={"code": code}).status_code == 200
    db.session.expire_all()
    assert db.session.query(Subscriber).one().confirmed


def test_too_many_wrong_codes_lock_the_code(app, db, client):
    page = client.post("/subscribe", json={"phone": "+14155550124"}).json["confirm_url"]
    row = db.session.query(Delivery).filter_by(kind="confirm").one()
    code = re.search(r"\b(\d{6})\b", json.loads(row.payload)["text"]).group(1)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        client.post(page, data={"code": wrong})
    assert client.post(page, data={"code": code}).status_code == 429
    db.session.expire_all()
    assert not db.session.query(Subscriber).one().confirmed


def test_confirm_sends_are_rate_limited_per_destination_and_ip(app, db, client):
    app.config["SUBSCRIBE_RATE_LIMITS"] = True
    statuses = [client.post("/subscribe", json={"phone": "+14155550125"}).status_code for _ in range(5)]
    assert statuses[:3] == [202, 202, 202] and statuses[3:] == [429, 429]
    assert db.session.query(Delivery).filter_by(kind="confirm").count() == 3
    statuses = [client.post("/subscribe", json={"email": f"u{i}@example.com"}).status_code for i in range(10)]
    assert 429 in statuses  # the same IP, many destinations


def test_html_form_needs_csrf_but_json_does_not(app, db, client):
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/subscribe", data={"email": "a@example.com"}).status_code == 400
    assert client.post("/subscribe", json={"email": "b@example.com"}).status_code == 202


def test_unsubscribe_get_only_shows_a_button_and_post_unsubscribes(app, db, client):
    sub = gen_subscriber("bye@example.com")
    db.session.commit()
    page = client.get(f"/unsubscribe/{sub.token}")
    assert page.status_code == 200 and b"<form" in page.data
    db.session.expire_all()
    assert not db.session.get(Subscriber, sub.id).opted_out
    app.config["WTF_CSRF_ENABLED"] = True  # a mail provider's one-click POST carries no CSRF token
    resp = client.post(f"/unsubscribe/{sub.token}", data={"List-Unsubscribe": "One-Click"})
    assert resp.status_code == 200
    db.session.expire_all()
    assert db.session.get(Subscriber, sub.id).opted_out


def test_unknown_unsubscribe_token_is_a_404(app, client):
    assert client.post("/unsubscribe/not-a-token").status_code == 404


def test_manage_page_changes_components_and_locale(app, db, client):
    api, web = gen_component("API"), gen_component("Web")
    sub = gen_subscriber("me@example.com")
    db.session.commit()
    assert client.get(f"/subscriptions/manage/{sub.token}").status_code == 200
    resp = client.post(f"/subscriptions/manage/{sub.token}", data={"component_ids": [str(web.id)], "locale": "zh_Hans"})
    assert resp.status_code == 200
    db.session.expire_all()
    sub = db.session.get(Subscriber, sub.id)
    assert not sub.all_components and [c.id for c in sub.components] == [web.id] and sub.locale == "zh_Hans"
