"""Twilio's callbacks as the SMS channel receives them."""
from __future__ import annotations

import pytest

from statuspage.delivery.runner import drain_outbox
from statuspage.models import Subscriber
from tests.delivery.helpers import outbox_rows, post_incident
from tests.doubles.twilio import AUTH_TOKEN, twilio_double, twilio_signature  # noqa: F401  (fixture)
from tests.factories import gen_subscriber

NUMBER = "+14155550101"


@pytest.fixture
def app_config(twilio_double):  # noqa: F811
    return {**twilio_double.config, "SMS_RATE_PER_SECOND": 100}


def _signed_post(client, path, params):
    signature = twilio_signature(f"http://status.test{path}", params, AUTH_TOKEN)
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature})


def test_a_21610_status_callback_fails_the_row_and_opts_the_subscriber_out(app, db, client, twilio_double):
    subs, update = post_incident(db, [NUMBER], channel="sms")
    drain_outbox()
    row = outbox_rows(db, update)[0]
    resp = _signed_post(client, f"/webhooks/twilio/status?d={row.id}",
                        {"MessageSid": row.provider_id, "MessageStatus": "undelivered", "ErrorCode": "21610"})
    assert resp.status_code == 204
    db.session.expire_all()
    assert outbox_rows(db, update)[0].status == "failed"
    assert db.session.get(Subscriber, subs[0].id).opted_out


def test_stop_opts_out_the_number_that_sent_it_and_no_other(app, db, client):
    main_page = gen_subscriber(NUMBER, channel="sms")
    other = gen_subscriber("+14155550102", channel="sms")
    db.session.commit()
    _signed_post(client, "/webhooks/twilio/inbound", {"From": "+1 415 555 0101", "Body": "STOP"})
    db.session.expire_all()
    assert db.session.get(Subscriber, main_page.id).opted_out
    assert not db.session.get(Subscriber, other.id).opted_out


def test_help_answers_with_the_page_link(app, db, client):
    resp = _signed_post(client, "/webhooks/twilio/inbound", {"From": NUMBER, "Body": "help"})
    assert resp.status_code == 200 and "http://status.test/" in resp.get_data(as_text=True)


def test_a_replayed_start_after_stop_does_not_resubscribe(app, db, client):
    sub = gen_subscriber(NUMBER, channel="sms")
    db.session.commit()
    start = {"From": NUMBER, "Body": "START", "MessageSid": "SM" + "1" * 32}
    stop = {"From": NUMBER, "Body": "STOP", "MessageSid": "SM" + "2" * 32}
    _signed_post(client, "/webhooks/twilio/inbound", start)
    _signed_post(client, "/webhooks/twilio/inbound", stop)
    resp = _signed_post(client, "/webhooks/twilio/inbound", start)  # the same signed START, replayed
    assert resp.status_code == 200
    db.session.expire_all()
    assert db.session.get(Subscriber, sub.id).opted_out
