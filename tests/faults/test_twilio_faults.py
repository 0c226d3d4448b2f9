"""The SMS provider throttles, errors, hangs, or says the recipient opted out."""
from __future__ import annotations

import time
from collections import Counter

import pytest

from statuspage.delivery.runner import drain_outbox
from statuspage.models import Delivery, Subscriber
from tests.delivery.helpers import drain_until_settled, outbox_rows, post_incident
from tests.doubles.twilio import TwilioDouble
from tests.faults.ledger import assert_exactly_once, ledger

CLIENT_TIMEOUT = 2.5  # long enough that a busy CI machine does not time out a normal answer


class HangingTwilio(TwilioDouble):
    """Adds "hang": the request is read, never answered, and never processed (a gateway timeout)."""

    def _answer(self, handler, form):
        to = form.get("To", "")
        with self.lock:
            scripted = self.scripts.get(to)
            hang = bool(scripted and scripted[0] == "hang" and (scripted[1] is None or scripted[1] > 0))
            if hang and scripted[1] is not None:
                scripted[1] -= 1
            if hang:
                self.requests.append({"path": handler.path, "form": form, "answer": "timeout", "sid": None})
        if hang:
            time.sleep(CLIENT_TIMEOUT + 2)
            handler.close_connection = True
            return
        super()._answer(handler, form)


@pytest.fixture
def twilio():
    double = HangingTwilio()
    yield double
    double.close()


@pytest.fixture
def app_config(twilio):
    return {**twilio.config, "SMS_RATE_PER_SECOND": 1000, "DELIVERY_RETRY_BASE_SECONDS": 0.2,
            "DELIVERY_RETRY_MAX_SECONDS": 0.5}


@pytest.fixture(autouse=True)
def _short_client_timeout(monkeypatch):
    """The product's client waits 15 s for Twilio; the test waits one."""
    from statuspage.channels import sms

    original = sms.make_client

    def make_client(app):
        client = original(app)
        client.http_client.timeout = CLIENT_TIMEOUT
        return client

    monkeypatch.setattr(sms, "make_client", make_client)


def test_429_500_timeouts_are_retried_and_21610_opts_the_subscriber_out(app, db, twilio):
    numbers = [f"+1415555{i:04d}" for i in range(100, 112)]
    twilio.script(numbers[0], "429", times=2)
    twilio.script(numbers[1], "429", times=1)
    twilio.script(numbers[2], "500", times=2)
    twilio.script(numbers[3], "hang", times=1)
    twilio.script(numbers[4], "21610")
    twilio.script(numbers[5], "21610")
    subs, update = post_incident(db, numbers, channel="sms")

    drain_until_settled(db, update, timeout=30, every=0.2)
    landed = [r["form"]["To"] for r in twilio.sent()]
    figures = ledger("twilio 429/500/timeout/21610", db, update, landed, numbers)
    assert_exactly_once(figures, failed=2)

    rows = {r.recipient: r for r in outbox_rows(db, update)}
    assert rows[numbers[0]].attempts >= 3 and rows[numbers[2]].attempts >= 3 and rows[numbers[3]].attempts >= 2
    for n in numbers[4:6]:
        assert rows[n].status == "failed" and "21610" in rows[n].last_error
    db.session.expire_all()
    opted = {s.address for s in db.session.query(Subscriber).filter_by(opted_out=True)}
    assert opted == set(numbers[4:6])
    # Each scripted failure was an attempt at the double; nothing else was asked of it.
    asked = Counter(r["form"]["To"] for r in twilio.requests)
    assert asked[numbers[0]] >= 3 and asked[numbers[1]] >= 2 and asked[numbers[2]] >= 3 and asked[numbers[3]] >= 2
    assert all(asked[n] == 1 for n in numbers[6:])  # a number that answered at once was asked once


def test_an_opted_out_number_gets_nothing_from_the_next_incident(app, db, twilio):
    numbers = ["+14155550200", "+14155550201"]
    twilio.script(numbers[0], "21610")
    _, first = post_incident(db, numbers, channel="sms")
    drain_outbox()
    from tests.factories import gen_incident
    from statuspage.services.fanout import fan_out_update

    second = gen_incident(name="Second").updates[0]
    fan_out_update(second)
    db.session.commit()
    drain_outbox()
    to = [r["form"]["To"] for r in twilio.requests]
    assert to.count(numbers[0]) == 1 and to.count(numbers[1]) == 2
    assert db.session.query(Delivery).filter_by(update_id=second.id).count() == 1
