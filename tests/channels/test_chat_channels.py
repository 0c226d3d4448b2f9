"""Chat channels: each provider's robot (a loopback double) gets its own shape, signed its own way,
and its error answers are read as the provider means them; the delivery row is read back."""
from __future__ import annotations

import time

import pytest

from statuspage.channels.chat import reset_slots
from statuspage.delivery.runner import drain_outbox
from statuspage.models import AuditEntry, Delivery, Subscriber
from statuspage.services.fanout import fan_out_update
from tests.doubles.chat import chat_double  # noqa: F401
from tests.factories import gen_incident, gen_subscriber

KINDS = ("slack", "teams", "wecom", "feishu", "dingtalk")
BODY = "Call the hotline 400-100-2000 if a withdrawal is stuck.\n\nWe are restarting the CRM workers."


@pytest.fixture
def app_config():
    return {"DELIVERY_RETRY_BASE_SECONDS": 1.0, "DELIVERY_RETRY_MAX_SECONDS": 1.0}


@pytest.fixture(autouse=True)
def _fresh_windows():
    reset_slots()
    yield
    reset_slots()


def _notify(db, kind, url, secret=None, name="CRM withdrawals failing", body=BODY, impact="critical"):
    sub = gen_subscriber(url, channel=kind, webhook_secret=secret)
    update = gen_incident(name=name, body=body, impact=impact).updates[0]
    fan_out_update(update)
    db.session.commit()
    return sub, update


def _row(db, update) -> Delivery:
    db.session.expire_all()
    return db.session.query(Delivery).filter_by(update_id=update.id).one()


@pytest.mark.parametrize("kind", KINDS)
def test_each_robot_gets_its_providers_shape_with_colour_action_and_link(app, db, chat_double, kind):
    secret = "SEC0123456789abcdef" if kind in ("feishu", "dingtalk") else None
    if secret:
        chat_double.secrets[kind] = secret
    _sub, update = _notify(db, kind, chat_double.url(kind), secret)
    drain_outbox()
    assert chat_double.problems == []
    sent = chat_double.sent(kind)
    assert len(sent) == 1
    raw = sent[0]["raw"].decode().replace('\\"', '"')
    assert "CRM withdrawals failing" in raw and "400-100-2000" in raw
    assert f"http://status.test/incidents/{update.incident_id}" in raw
    colour = {"slack": "#c62828", "teams": '"attention"', "wecom": 'color="warning"', "feishu": '"red"',
              "dingtalk": "#c62828"}[kind]
    assert colour in raw
    row = _row(db, update)
    assert row.status == "sent" and row.channel == kind and row.attempts == 1


def test_slack_is_block_kit_with_a_fallback_text(app, db, chat_double):
    _notify(db, "slack", chat_double.url("slack"))
    drain_outbox()
    body = chat_double.sent("slack")[0]["json"]
    assert body["text"].startswith("[Investigating] CRM withdrawals failing")
    assert body["blocks"][0]["type"] == "header"
    assert any(b["type"] == "actions" for b in body["attachments"][0]["blocks"])


def test_a_long_notice_is_cut_to_each_providers_limits(app, db, chat_double):
    long_body = "Call 400-100-2000.\n\n" + ("工单系统正在恢复，请稍候。" * 1500)
    for kind in KINDS:
        _notify(db, kind, chat_double.url(kind), name=f"Long {kind}", body=long_body)
    drain_outbox()
    assert chat_double.problems == []
    assert all(chat_double.sent(kind) for kind in KINDS)
    wecom = chat_double.sent("wecom")[0]["json"]["markdown"]["content"]
    assert len(wecom.encode()) <= 4096 and wecom.rstrip().endswith("</font>")


def test_a_wrong_feishu_secret_fails_the_row_without_disabling_the_robot(app, db, chat_double):
    chat_double.secrets["feishu"] = "the-real-secret"
    sub, update = _notify(db, "feishu", chat_double.url("feishu"), secret="a-stale-secret")
    drain_outbox()
    row = _row(db, update)
    assert row.status == "failed" and "19021" in row.last_error
    assert not db.session.get(Subscriber, sub.id).opted_out


def test_a_dingtalk_signature_mismatch_is_permanent(app, db, chat_double):
    chat_double.secrets["dingtalk"] = "SECreal"
    _sub, update = _notify(db, "dingtalk", chat_double.url("dingtalk"), secret="SECwrong")
    drain_outbox()
    row = _row(db, update)
    assert row.status == "failed" and "310000" in row.last_error and row.attempts == 1


@pytest.mark.parametrize("kind", KINDS)
def test_a_deleted_robot_fails_the_row_and_disables_the_subscriber_with_an_audit_entry(app, db, chat_double, kind):
    chat_double.script(kind, "gone")
    sub, update = _notify(db, kind, chat_double.url(kind))
    drain_outbox()
    row = _row(db, update)
    assert row.status == "failed" and row.attempts == 1
    assert db.session.get(Subscriber, sub.id).opted_out
    entry = db.session.query(AuditEntry).filter_by(action="subscriber.disabled", object_id=str(sub.id)).one()
    assert kind in entry.summary
    # Disabled: the next notice is not even written for it.
    update2 = gen_incident(name="Later").updates[0]
    fan_out_update(update2)
    db.session.commit()
    assert db.session.query(Delivery).filter_by(update_id=update2.id).count() == 0


@pytest.mark.parametrize("kind,answer", [("slack", "429"), ("teams", "429"), ("wecom", "rate"),
                                         ("feishu", "rate"), ("dingtalk", "rate")])
def test_the_providers_rate_limit_answer_queues_the_row_again(app, db, chat_double, kind, answer, monkeypatch):
    chat_double.script(kind, answer)
    _sub, update = _notify(db, kind, chat_double.url(kind))
    drain_outbox()
    row = _row(db, update)
    assert row.status == "queued" and row.last_error
    # The provider's wait (60 s for WeCom, Feishu, DingTalk) is capped by the retry ceiling (1 s here).
    time.sleep(1.1)
    drain_outbox()
    row = _row(db, update)
    assert row.status == "sent" and len(chat_double.sent(kind)) == 1


def test_wecom_gets_at_most_20_messages_a_minute_per_robot_and_the_rest_wait(app, db, chat_double):
    # The ceiling counts per clock minute: start well inside one.
    if 60 - time.time() % 60 < 25:
        time.sleep(60 - time.time() % 60 + 0.1)
    url = chat_double.url("wecom")
    gen_subscriber(url, channel="wecom")
    updates = [gen_incident(name=f"Incident {n}").updates[0] for n in range(23)]
    for update in updates:
        fan_out_update(update)
    other = gen_subscriber(chat_double.url("wecom", "-other"), channel="wecom")
    db.session.commit()
    drain_outbox()
    db.session.expire_all()
    rows = db.session.query(Delivery).filter(Delivery.channel == "wecom").all()
    mine = [r for r in rows if r.subscriber_id != other.id]
    assert sum(r.status == "sent" for r in mine) == 20
    waiting = [r for r in mine if r.status == "queued"]
    assert len(waiting) == 3 and all("waiting" in r.last_error for r in waiting)
    assert len(chat_double.requests["wecom"]) == 20  # the robot never saw the 21st: no "freq out of limit"


def test_a_robot_that_is_down_then_back_gets_each_notice_once(app, db, chat_double):
    chat_double.script("dingtalk", "down", times=2)
    _sub, update = _notify(db, "dingtalk", chat_double.url("dingtalk"))
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and _row(db, update).status != "sent":
        drain_outbox()
        time.sleep(0.3)
    row = _row(db, update)
    assert row.status == "sent" and row.attempts == 3
    assert len(chat_double.sent("dingtalk")) == 1


def test_the_outbound_guard_refuses_a_robot_on_a_private_address(app, db, chat_double):
    app.config["OUTBOUND_ALLOW_NETWORKS"] = ""
    _sub, update = _notify(db, "slack", chat_double.url("slack"))
    drain_outbox()
    row = _row(db, update)
    assert row.status == "failed" and "not allowed" in row.last_error
    assert chat_double.requests["slack"] == []
