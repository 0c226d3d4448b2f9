"""/api/admin/v1/upstreams: register, list, delete (soft) and restore feeds."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from statuspage.extensions import db
from statuspage.models import AuditEntry, Component, ComponentGroup
from tests.factories import gen_component

from . import feeds
from .helpers import poll

API = "/api/admin/v1/upstreams"


@pytest.fixture
def admin_api(bearer):
    return bearer("admin")


def test_registering_a_feed_adds_a_third_party_component(client, admin_api, feed_server):
    ours = gen_component("Checkout")
    db.session.commit()
    resp = client.post(API, json={"name": "Stripe", "url": feed_server.url("/history.atom"), "kind": "atom",
                                  "component_ids": [ours.id]}, headers=admin_api)
    assert resp.status_code == 201
    body = resp.get_json()
    assert body["interval_seconds"] == 120 and body["component_ids"] == [ours.id]
    assert body["state"] == "unknown" and body["last_fetch_at"] is None
    component = db.session.get(Component, body["third_party_component_id"])
    assert component.third_party and component.upstream_id == body["id"] and component.name == "Stripe"
    assert db.session.get(ComponentGroup, component.group_id).name == "Third-party services"
    assert db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "upstream_feed")).all() \
        == ["create"]


def test_the_list_shows_how_the_last_fetch_went(client, admin_api, bearer, feed_server, admin_mail):
    feed_server.set("/history.rss", feeds.statuspage_rss([("a", "Delayed payouts", feeds.RESOLVED)]))
    client.post(API, json={"name": "Payhub", "url": feed_server.url("/history.rss")}, headers=admin_api)
    poll()
    [feed] = client.get(API, headers=bearer("viewer")).get_json()
    assert feed["kind"] == "rss" and feed["last_status"] == 200 and feed["entries_seen"] == 1
    assert feed["state"] == "operational" and feed["last_error"] is None and feed["last_fetch_at"].endswith("Z")


@pytest.mark.parametrize("body, field", [
    ({"name": "", "url": "https://status.example.test/history.rss"}, "name"),
    ({"name": "X", "url": "ftp://status.example.test/history.rss"}, "url"),
    ({"name": "X", "url": "not a url"}, "url"),
    ({"name": "X", "url": "https://s.example.test/h.rss", "kind": "csv"}, "kind"),
    ({"name": "X", "url": "https://s.example.test/h.rss", "interval_seconds": 10}, "interval_seconds"),
    ({"name": "X", "url": "https://s.example.test/h.rss", "interval_seconds": "soon"}, "interval_seconds"),
    ({"name": "X", "url": "https://s.example.test/h.rss", "component_ids": [999]}, "component_ids"),
    ({"name": "X", "url": "https://s.example.test/h.rss", "component_ids": "abc"}, "component_ids"),
])
def test_bad_input_is_a_clear_4xx(client, admin_api, body, field):
    resp = client.post(API, json=body, headers=admin_api)
    assert resp.status_code == 422
    error = resp.get_json()["error"]
    assert error["code"] == "invalid" and field in error["message"]
    assert client.get(API, headers=admin_api).get_json() == []


def test_a_non_json_body_is_refused(client, admin_api):
    assert client.post(API, data="name=x", headers=admin_api).status_code == 415


def test_only_admins_register_feeds(client, bearer):
    resp = client.post(API, json={"name": "X", "url": "https://s.example.test/h.rss"}, headers=bearer("responder"))
    assert resp.status_code == 403
    assert client.get(API).status_code == 401


def test_delete_is_soft_and_restore_brings_feed_and_component_back(client, admin_api, feed_server):
    created = client.post(API, json={"name": "Stripe", "url": feed_server.url("/h.rss")}, headers=admin_api).get_json()
    component_id = created["third_party_component_id"]
    resp = client.delete(f"{API}/{created['id']}", headers=admin_api)
    assert resp.status_code == 200 and resp.get_json()["deleted_at"]
    assert client.get(API, headers=admin_api).get_json() == []
    assert [f["id"] for f in client.get(f"{API}?deleted=1", headers=admin_api).get_json()] == [created["id"]]
    assert db.session.get(Component, component_id).deleted_at is not None
    resp = client.post(f"{API}/{created['id']}/restore", headers=admin_api)
    assert resp.status_code == 200 and resp.get_json()["deleted_at"] is None
    db.session.expire_all()
    assert db.session.get(Component, component_id).deleted_at is None
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "upstream_feed")
                                 .order_by(AuditEntry.id)).all()
    assert actions == ["create", "delete", "restore"]
    assert client.delete(f"{API}/4242", headers=admin_api).status_code == 404


def test_the_same_feed_cannot_be_registered_twice(client, admin_api):
    body = {"name": "Stripe", "url": "https://status.stripe.test/history.atom"}
    assert client.post(API, json=body, headers=admin_api).status_code == 201
    resp = client.post(API, json={**body, "name": "Stripe again"}, headers=admin_api)
    assert resp.status_code == 422 and "already registered as “Stripe”" in resp.get_json()["error"]["message"]
