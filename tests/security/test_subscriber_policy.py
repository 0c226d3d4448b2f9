"""Who may add which subscriber, and what /subscribe tells a visitor about pages they cannot see."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from statuspage.models import Subscriber
from statuspage.services.tenants import access_token
from tests.factories import gen_component, gen_tenant

API = "/api/admin/v1/subscribers"


@pytest.mark.parametrize("number", ["+19002530000", "+449098790000", "+2348031234567", "+79123456789"])
@pytest.mark.parametrize("role", ["responder", "admin"])
def test_the_api_applies_the_public_forms_sms_policy(client, bearer, db, number, role):
    resp = client.post(API, json={"phone": number}, headers=bearer(role))
    assert resp.status_code == 422 and "phone" in resp.get_json()["error"]["details"]
    assert db.session.scalars(select(Subscriber)).all() == []


def test_a_responder_cannot_add_a_pre_confirmed_subscriber(client, bearer, db):
    resp = client.post(API, json={"email": "cfo@example.com", "confirmed": True}, headers=bearer("responder"))
    assert resp.status_code == 403
    assert db.session.scalars(select(Subscriber)).all() == []


def test_a_responder_still_adds_an_unconfirmed_subscriber(client, bearer):
    resp = client.post(API, json={"email": "cfo@example.com"}, headers=bearer("responder"))
    assert resp.status_code == 201 and resp.get_json()["confirmed"] is False


def test_an_admin_adds_a_pre_confirmed_subscriber(client, bearer):
    resp = client.post(API, json={"email": "cfo@example.com", "confirmed": True}, headers=bearer("admin"))
    assert resp.status_code == 201 and resp.get_json()["confirmed"] is True


def _subscribe(client, **body):
    resp = client.post("/subscribe", json=body)
    return resp.status_code, resp.get_json()["error"] if resp.status_code >= 400 else None


@pytest.mark.parametrize("body", [
    {"email": "not an address"},
    {"email": "x@example.com"},
    {"phone": "+19002530000"},
    {"email": "x@example.com", "component_ids": [999]},
])
def test_subscribe_answers_a_private_slug_like_an_unknown_one(client, db, body):
    gen_tenant("Globex", slug="globex", private=True)
    db.session.commit()
    private = _subscribe(client, tenant="globex", **body)
    unknown = _subscribe(client, tenant="nosuchpage", **body)
    assert private[0] == unknown[0] == 400
    assert private[1]["field"] == unknown[1]["field"]
    assert private[1]["message"].replace("globex", "SLUG") == unknown[1]["message"].replace("nosuchpage", "SLUG")


def test_a_component_of_another_tenant_is_refused_like_a_missing_one(client, db):
    gen_tenant("Acme", slug="acme")
    other = gen_tenant("Globex", slug="globex", private=True)
    theirs = gen_component("Globex ledger", tenant=other)
    db.session.commit()
    foreign = _subscribe(client, email="x@example.com", tenant="acme", component_ids=[theirs.id])
    missing = _subscribe(client, email="x@example.com", tenant="acme", component_ids=[theirs.id + 1000])
    assert foreign == missing and foreign[0] == 400 and foreign[1]["field"] == "component_ids"
    assert db.session.scalars(select(Subscriber)).all() == []


def test_a_holder_of_the_link_subscribes_to_a_private_tenant(client, db):
    tenant = gen_tenant("Globex", slug="globex", private=True)
    db.session.commit()
    resp = client.post("/subscribe", json={"email": "x@example.com", "tenant": "globex",
                                           "access": access_token(tenant)})
    assert resp.status_code == 202
