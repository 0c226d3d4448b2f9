"""Who gets a notice: the INSERT ... SELECT's rules, read back from the outbox."""
from __future__ import annotations

from statuspage.models import Delivery
from statuspage.channels import SUBSCRIBER_CHANNELS
from statuspage.services.fanout import count_recipients, fan_out_update, run_pending_fanouts
from tests.factories import gen_component, gen_incident, gen_subscriber, gen_tenant, gen_update


def _recipients(db, update) -> set[str]:
    return {d.recipient for d in db.session.query(Delivery).filter_by(update_id=update.id)}


def test_notice_for_tenant_a_never_reaches_tenant_b(app, db):
    a, b = gen_tenant("Alpha"), gen_tenant("Beta")
    gen_subscriber("a@example.com", tenant=a)
    gen_subscriber("+14155550100", channel="sms", tenant=a)
    gen_subscriber("b@example.com", tenant=b)
    gen_subscriber("main@example.com")
    incident = gen_incident(tenants=[a])
    update = incident.updates[0]
    assert fan_out_update(update) == 2
    assert _recipients(db, update) == {"a@example.com", "+14155550100"}


def test_incident_without_tenants_reaches_every_tenant_and_the_main_page(app, db):
    a, b = gen_tenant("Alpha"), gen_tenant("Beta")
    gen_subscriber("a@example.com", tenant=a)
    gen_subscriber("b@example.com", tenant=b)
    gen_subscriber("main@example.com")
    update = gen_incident().updates[0]
    fan_out_update(update)
    assert _recipients(db, update) == {"a@example.com", "b@example.com", "main@example.com"}


def test_component_choice_must_overlap_the_incident(app, db):
    api, web = gen_component("API"), gen_component("Web")
    gen_subscriber("api@example.com", components=[api])
    gen_subscriber("web@example.com", components=[web])
    gen_subscriber("all@example.com")
    update = gen_incident(components=[api]).updates[0]
    fan_out_update(update)
    assert _recipients(db, update) == {"api@example.com", "all@example.com"}


def test_incident_without_components_reaches_component_subscribers_too(app, db):
    api = gen_component("API")
    gen_subscriber("api@example.com", components=[api])
    update = gen_incident().updates[0]
    fan_out_update(update)
    assert _recipients(db, update) == {"api@example.com"}


def test_unconfirmed_opted_out_and_deleted_subscribers_are_skipped(app, db):
    from statuspage.models import utcnow

    gen_subscriber("ok@example.com")
    gen_subscriber("pending@example.com", confirmed=False)
    gen_subscriber("stopped@example.com", opted_out=True)
    gen_subscriber("gone@example.com", deleted_at=utcnow())
    update = gen_incident().updates[0]
    fan_out_update(update)
    assert _recipients(db, update) == {"ok@example.com"}


def test_drill_reaches_only_the_test_audience(app, db):
    gen_subscriber("customer@example.com")
    gen_subscriber("ops@example.com", test_audience=True)
    update = gen_incident(visibility="drill").updates[0]
    assert count_recipients(update.incident) == {kind: int(kind == "email") for kind in SUBSCRIBER_CHANNELS}
    fan_out_update(update)
    assert _recipients(db, update) == {"ops@example.com"}


def test_draft_and_silent_updates_send_nothing(app, db):
    gen_subscriber("customer@example.com")
    draft = gen_incident(draft=True).updates[0]
    assert fan_out_update(draft) == 0
    silent = gen_update(gen_incident(), deliver_notifications=False)
    assert fan_out_update(silent) == 0
    assert db.session.query(Delivery).count() == 0


def test_running_the_fan_out_twice_writes_one_row_per_subscriber_and_channel(app, db):
    from statuspage.services.fanout import insert_deliveries

    for i in range(5):
        gen_subscriber(f"s{i}@example.com")
    update = gen_incident().updates[0]
    assert fan_out_update(update) == 5
    assert fan_out_update(update) == 5  # already done: nothing new
    assert insert_deliveries(update.id, update.incident) == 0
    db.session.commit()
    assert db.session.query(Delivery).filter_by(update_id=update.id).count() == 5


def test_a_large_audience_is_deferred_to_the_worker_durably(app, db):
    app.config["FANOUT_INLINE_MAX"] = 3
    for i in range(5):
        gen_subscriber(f"s{i}@example.com")
    update = gen_incident().updates[0]
    assert fan_out_update(update) == 5
    assert update.fanout_state == "pending"
    assert db.session.query(Delivery).count() == 0
    db.session.commit()
    assert run_pending_fanouts() == 5
    assert run_pending_fanouts() == 0
    db.session.expire_all()
    assert db.session.query(Delivery).count() == 5
    assert update.fanout_state == "done"
