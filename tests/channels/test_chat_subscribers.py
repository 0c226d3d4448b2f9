"""A tenant's ops group subscribes its chat through the admin API (`chat: {kind, url, secret}`), admins only,
scoped by tenant and components like any subscriber; the secret signs and is never shown."""
from __future__ import annotations

from statuspage.channels.chat import reset_slots
from statuspage.delivery.runner import drain_outbox
from statuspage.models import Delivery, Subscriber
from statuspage.services.fanout import fan_out_update
from tests.doubles.chat import chat_double  # noqa: F401
from tests.factories import gen_component, gen_incident, gen_tenant

API = "/api/admin/v1/subscribers"


def test_an_admin_adds_a_signed_dingtalk_robot_for_a_tenants_component(client, db, bearer, chat_double):
    reset_slots()
    tenant = gen_tenant("Acme")
    ours, other = gen_component("CRM", tenant=tenant), gen_component("Billing")
    db.session.commit()
    chat_double.secrets["dingtalk"] = "SECabc"
    resp = client.post(API, headers=bearer("admin"), json={
        "chat": {"kind": "dingtalk", "url": chat_double.url("dingtalk"), "secret": "SECabc"},
        "tenant": "acme", "component_ids": [ours.id]})
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["channel"] == "dingtalk" and body["confirmed"] is True and body["tenant"] == "acme"
    assert body["chat"] == {"kind": "dingtalk", "url": f"{chat_double.base}/…", "signed": True}
    assert "SECabc" not in resp.get_data(as_text=True) and "dt0ken" not in resp.get_data(as_text=True)
    sub = db.session.get(Subscriber, body["id"])
    assert sub.address == chat_double.url("dingtalk") and sub.webhook_secret == "SECabc"

    skipped = gen_incident(name="Billing slow", components=[other]).updates[0]
    update = gen_incident(name="CRM down", components=[ours], tenants=[tenant], visibility="tenants").updates[0]
    for u in (skipped, update):
        fan_out_update(u)
    db.session.commit()
    drain_outbox()
    assert chat_double.problems == []
    assert [r["json"]["markdown"]["title"] for r in chat_double.sent("dingtalk")] == ["[Investigating] CRM down"]
    assert "/t/acme/incidents/" in chat_double.sent("dingtalk")[0]["json"]["markdown"]["text"]
    db.session.expire_all()
    assert db.session.query(Delivery).filter_by(update_id=update.id).one().status == "sent"


def test_only_admins_add_chat_subscribers(client, db, bearer):
    resp = client.post(API, headers=bearer("responder"), json={
        "chat": {"kind": "slack", "url": "https://hooks.slack.com/services/T/B/X"}})
    assert resp.status_code == 403


def test_a_chat_robot_on_a_private_address_is_refused_when_saved(client, db, bearer, app):
    app.config["OUTBOUND_ALLOW_NETWORKS"] = ""
    resp = client.post(API, headers=bearer("admin"), json={"chat": {"kind": "wecom", "url": "http://10.0.0.5/x"}})
    assert resp.status_code == 422 and "chat.url" in resp.get_json()["error"]["details"]


def test_an_unknown_chat_kind_or_shape_is_a_clear_422(client, db, bearer):
    admin = bearer("admin")
    resp = client.post(API, headers=admin, json={"chat": {"kind": "telegram", "url": "https://example.com/x"}})
    assert resp.status_code == 422 and "chat.kind" in resp.get_json()["error"]["details"]
    resp = client.post(API, headers=admin, json={"chat": "https://example.com/x"})
    assert resp.status_code == 422 and "chat" in resp.get_json()["error"]["details"]
    resp = client.post(API, headers=admin, json={"chat": {"kind": "slack", "url": "https://example.com/x"},
                                                  "email": "a@example.com"})
    assert resp.status_code == 422


def test_the_notice_preview_shows_each_chat_rendering_next_to_email_and_sms(client, db, login,
                                                                             fresh_identity_per_request):
    login("responder")
    resp = client.post("/admin/incidents/new", data={
        "name": "Withdrawals failing", "status": "investigating", "impact": "major",
        "body": "Call the hotline 400-100-2000.", "visibility": "public", "deliver_notifications": "on",
        "audience": "everyone", "action": "preview"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Team chats" in html
    for label in ("Slack", "Microsoft Teams", "WeCom", "Feishu", "DingTalk"):
        assert f"<summary>{label}</summary>" in html
    assert "AdaptiveCard" in html and "msg_type" in html and "400-100-2000" in html
