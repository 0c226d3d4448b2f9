"""The Subscribers screen: find one among many, see what reached them, act on them with an audit trail."""
from __future__ import annotations

from statuspage.models import AuditEntry, Subscriber
from tests.factories import gen_component, gen_subscriber, gen_tenant


def test_search_finds_a_subscriber_by_part_of_the_address_among_many(client, db, login):
    for i in range(120):
        gen_subscriber(f"user{i:03d}@example.com")
    gen_subscriber("angry.customer@bank.example")
    db.session.commit()
    login("viewer")
    html = client.get("/admin/subscribers?q=angry").get_data(as_text=True)
    assert "angry.customer@bank.example" in html and "user001@example.com" not in html


def test_list_pages_by_keyset_newest_first(client, db, login):
    subs = [gen_subscriber(f"u{i:03d}@example.com") for i in range(60)]
    db.session.commit()
    login("viewer")
    first = client.get("/admin/subscribers").get_data(as_text=True)
    assert "u059@example.com" in first and "u000@example.com" not in first
    assert f"before={subs[10].id}" in first
    second = client.get(f"/admin/subscribers?before={subs[10].id}").get_data(as_text=True)
    assert "u000@example.com" in second and "u059@example.com" not in second


def test_filters_by_tenant_channel_state_and_component(client, db, login):
    acme = gen_tenant("Acme")
    crm = gen_component("CRM")
    gen_subscriber("acme@example.com", tenant=acme)
    gen_subscriber("+8613800000000", channel="sms", confirmed=False)
    gen_subscriber("crm@example.com", components=[crm]).all_components = False
    other = gen_component("Other")
    gen_subscriber("other@example.com", components=[other]).all_components = False
    db.session.commit()
    login("viewer")
    get = lambda q: client.get("/admin/subscribers?" + q).get_data(as_text=True)  # noqa: E731
    assert "acme@example.com" in get(f"tenant={acme.id}") and "crm@example.com" not in get(f"tenant={acme.id}")
    assert "+8613800000000" in get("channel=sms") and "acme@example.com" not in get("channel=sms")
    assert "+8613800000000" in get("state=pending") and "acme@example.com" not in get("state=pending")
    by_crm = get(f"component={crm.id}")
    assert "crm@example.com" in by_crm and "acme@example.com" in by_crm and "other@example.com" not in by_crm


def test_unsubscribe_and_subscribe_again_with_a_reason_are_audited(client, db, login):
    sub = gen_subscriber("client@example.com")
    db.session.commit()
    login("responder")
    client.post(f"/admin/subscribers/{sub.id}", data={"action": "unsubscribe", "reason": "asked by phone"})
    assert db.session.get(Subscriber, sub.id).opted_out
    resp = client.post(f"/admin/subscribers/{sub.id}", data={"action": "resubscribe", "reason": ""})
    assert resp.status_code == 422 and db.session.get(Subscriber, sub.id).opted_out
    client.post(f"/admin/subscribers/{sub.id}", data={"action": "resubscribe", "reason": "ticket 4711"})
    assert not db.session.get(Subscriber, sub.id).opted_out
    actions = [(e.action, e.summary) for e in db.session.query(AuditEntry).filter_by(object_type="subscriber")]
    assert ("subscriber.unsubscribe", "Unsubscribed email subscriber client@example.com: asked by phone") in actions
    assert any(a == "subscriber.resubscribe" and "ticket 4711" in s for a, s in actions)


def test_delete_and_restore_need_an_admin(client, db, login):
    sub = gen_subscriber("client@example.com")
    db.session.commit()
    login("responder")
    assert client.post(f"/admin/subscribers/{sub.id}", data={"action": "delete"}).status_code == 403
    login("admin", c=client)
    client.post(f"/admin/subscribers/{sub.id}", data={"action": "delete"})
    assert db.session.get(Subscriber, sub.id).deleted_at is not None
    client.post(f"/admin/subscribers/{sub.id}", data={"action": "restore"})
    assert db.session.get(Subscriber, sub.id).deleted_at is None


def test_detail_shows_state_and_the_csv_has_the_filtered_list(client, db, login):
    sub = gen_subscriber("pending@example.com", confirmed=False)
    gen_subscriber("other@example.com")
    db.session.commit()
    login("admin")
    detail = client.get(f"/admin/subscribers/{sub.id}").get_data(as_text=True)
    assert "Pending confirmation" in detail and "Send the confirmation again" in detail
    body = client.get("/admin/subscribers?format=csv&state=pending").get_data(as_text=True)
    assert "pending@example.com" in body and "other@example.com" not in body
    entry = db.session.query(AuditEntry).filter_by(action="subscriber.export").one()
    assert entry.after == {"filters": {"state": "pending"}}


def test_counts_per_tenant_have_their_own_page(client, db, login):
    acme = gen_tenant("Acme")
    gen_subscriber("a@example.com", tenant=acme)
    gen_subscriber("b@example.com", tenant=acme).opted_out = True
    gen_subscriber("main@example.com")
    db.session.commit()
    login("viewer")
    assert "Opted out</th>" not in client.get("/admin/subscribers").get_data(as_text=True)
    html = client.get("/admin/subscribers?view=counts").get_data(as_text=True)
    row = html.split("Acme</a>")[1].split("</tr>")[0]
    assert ">2<" in row and ">1<" in row
