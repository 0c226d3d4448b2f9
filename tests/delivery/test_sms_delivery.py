"""SMS through the twilio client against a loopback double of Twilio's REST API, and Twilio's callbacks."""
from __future__ import annotations

import time

import pytest

from statuspage.delivery.runner import drain_outbox
from statuspage.models import Subscriber
from statuspage.services.fanout import fan_out_update
from tests.doubles.twilio import twilio_double, twilio_signature  # noqa: F401  (fixture)
from tests.delivery.helpers import outbox_rows, post_incident
from tests.factories import gen_incident, gen_subscriber

pytestmark = pytest.mark.usefixtures("fresh_limits")

NUMBERS = ["+14155550101", "+14155550102", "+14155550103"]


@pytest.fixture
def app_config(twilio_double):  # noqa: F811
    return {**twilio_double.config, "SMS_RATE_PER_SECOND": 100, "DELIVERY_RETRY_BASE_SECONDS": 1.0,
            "DELIVERY_RETRY_MAX_SECONDS": 1.0}


def _post(db, numbers=NUMBERS, **kw):
    return post_incident(db, numbers, channel="sms", **kw)


def _rows(db, update):
    return {d.recipient: d for d in outbox_rows(db, update)}


def test_each_number_gets_one_sms_with_link_opt_out_validity_and_callback(app, db, twilio_double):
    _, update = _post(db, name="Withdrawals failing")
    drain_outbox()
    sent = twilio_double.sent()
    assert sorted(r["form"]["To"] for r in sent) == NUMBERS
    form = sent[0]["form"]
    assert "Withdrawals failing" in form["Body"] and "Reply STOP" in form["Body"]
    assert f"http://status.test/incidents/{update.incident_id}" in form["Body"]
    assert form["ValidityPeriod"] == "7200"
    rows = _rows(db, update)
    row = rows[form["To"]]
    assert form["StatusCallback"] == f"http://status.test/webhooks/twilio/status?d={row.id}"
    assert row.status == "sent" and row.provider_id == sent[0]["sid"]


def test_twilio_21610_fails_the_row_and_opts_the_subscriber_out(app, db, twilio_double):
    twilio_double.script(NUMBERS[0], "21610")
    subs, update = _post(db)
    drain_outbox()
    row = _rows(db, update)[NUMBERS[0]]
    assert row.status == "failed" and "21610" in row.last_error
    assert db.session.get(Subscriber, subs[0].id).opted_out
    assert not db.session.get(Subscriber, subs[1].id).opted_out


def test_an_invalid_number_fails_without_opting_out(app, db, twilio_double):
    twilio_double.script(NUMBERS[0], "21211")
    subs, update = _post(db)
    drain_outbox()
    assert _rows(db, update)[NUMBERS[0]].status == "failed"
    assert not db.session.get(Subscriber, subs[0].id).opted_out


@pytest.mark.parametrize("answer", ["429", "500"])
def test_rate_limited_and_server_errors_are_retried(app, db, twilio_double, answer):
    twilio_double.script(NUMBERS[0], answer, times=1)
    _, update = _post(db)
    drain_outbox()
    row = _rows(db, update)[NUMBERS[0]]
    assert row.status == "queued" and row.last_error
    time.sleep(1.1)
    drain_outbox()
    assert _rows(db, update)[NUMBERS[0]].status == "sent"
    assert len([r for r in twilio_double.sent() if r["form"]["To"] == NUMBERS[0]]) == 1


def test_sms_sends_respect_the_rate_ceiling(app, db, twilio_double):
    app.config["SMS_RATE_PER_SECOND"] = 5
    numbers = [f"+1415555{i:04d}" for i in range(200, 206)]
    _post(db, numbers=numbers)
    started = time.monotonic()
    drain_outbox()
    elapsed = time.monotonic() - started
    assert len(twilio_double.sent()) == 6
    assert elapsed >= 0.9  # 6 sends at 5/s: one at once, five 0.2 s apart


def _signed_post(client, path, params, token=None):
    from tests.doubles.twilio import AUTH_TOKEN

    signature = twilio_signature(f"http://status.test{path}", params, token or AUTH_TOKEN)
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature})


def test_status_callback_moves_a_row_forward_never_back(app, db, client, twilio_double):
    _, update = _post(db, numbers=NUMBERS[:1])
    drain_outbox()
    row = _rows(db, update)[NUMBERS[0]]
    path = f"/webhooks/twilio/status?d={row.id}"
    resp = _signed_post(client, path, {"MessageSid": row.provider_id, "MessageStatus": "delivered"})
    assert resp.status_code == 204
    assert _rows(db, update)[NUMBERS[0]].status == "delivered"
    _signed_post(client, path, {"MessageSid": row.provider_id, "MessageStatus": "sent"})
    _signed_post(client, path, {"MessageSid": row.provider_id, "MessageStatus": "failed", "ErrorCode": "30008"})
    assert _rows(db, update)[NUMBERS[0]].status == "delivered"


def test_undelivered_callback_fails_the_row_with_the_carrier_code(app, db, client, twilio_double):
    _, update = _post(db, numbers=NUMBERS[:1])
    drain_outbox()
    row = _rows(db, update)[NUMBERS[0]]
    _signed_post(client, f"/webhooks/twilio/status?d={row.id}",
                 {"MessageSid": row.provider_id, "MessageStatus": "undelivered", "ErrorCode": "30003"})
    row = _rows(db, update)[NUMBERS[0]]
    assert row.status == "failed" and "30003" in row.last_error


def test_a_forged_status_callback_is_refused(app, db, client, twilio_double):
    _, update = _post(db, numbers=NUMBERS[:1])
    drain_outbox()
    row = _rows(db, update)[NUMBERS[0]]
    resp = _signed_post(client, f"/webhooks/twilio/status?d={row.id}",
                        {"MessageSid": row.provider_id, "MessageStatus": "delivered"}, token="wrong-token")
    assert resp.status_code == 403
    resp = client.post(f"/webhooks/twilio/status?d={row.id}", data={"MessageStatus": "delivered"})
    assert resp.status_code == 403
    assert _rows(db, update)[NUMBERS[0]].status == "sent"


def test_stop_via_a_signed_webhook_opts_the_number_out_and_start_back_in(app, db, client):
    sub = gen_subscriber(NUMBERS[0], channel="sms")
    db.session.commit()
    resp = _signed_post(client, "/webhooks/twilio/inbound", {"From": NUMBERS[0], "Body": "Stop"})
    assert resp.status_code == 200 and resp.mimetype == "text/xml"
    db.session.expire_all()
    assert db.session.get(Subscriber, sub.id).opted_out
    update = gen_incident().updates[0]
    assert fan_out_update(update) == 0
    _signed_post(client, "/webhooks/twilio/inbound", {"From": NUMBERS[0], "Body": "START"})
    db.session.expire_all()
    assert not db.session.get(Subscriber, sub.id).opted_out


def test_help_answers_with_the_page_url(app, client):
    resp = _signed_post(client, "/webhooks/twilio/inbound", {"From": NUMBERS[0], "Body": "help"})
    assert b"<Message>" in resp.data and b"http://status.test/" in resp.data


def test_a_forged_stop_is_refused(app, db, client):
    sub = gen_subscriber(NUMBERS[0], channel="sms")
    db.session.commit()
    resp = _signed_post(client, "/webhooks/twilio/inbound", {"From": NUMBERS[0], "Body": "STOP"}, token="forged")
    assert resp.status_code == 403
    db.session.expire_all()
    assert not db.session.get(Subscriber, sub.id).opted_out


class TestLogMode:
    @pytest.fixture
    def app_config(self):
        return {}

    def test_without_twilio_the_sms_is_recorded_as_a_log_delivery(self, app, db):
        import json

        _, update = _post(db, numbers=NUMBERS[:1])
        drain_outbox()
        row = _rows(db, update)[NUMBERS[0]]
        assert row.channel == "log" and row.status == "logged"
        assert "Reply STOP" in json.loads(row.payload)["text"]
