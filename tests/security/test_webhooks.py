"""Twilio callbacks: forged signatures are refused; replayed callbacks never move a final state back."""
from __future__ import annotations

import pytest

from statuspage.delivery.runner import drain_outbox
from statuspage.models import Delivery, Subscriber
from tests.delivery.helpers import post_incident
from tests.doubles.twilio import AUTH_TOKEN, twilio_double, twilio_signature  # noqa: F401

BASE = "http://status.test"


@pytest.fixture
def app_config(twilio_double):  # noqa: F811
    return {**twilio_double.config, "SMS_RATE_PER_SECOND": 1000}


def _post(client, path, form, signature):
    return client.post(path, data=form, headers={"X-Twilio-Signature": signature} if signature is not None else {})


@pytest.fixture
def sent_row(app, db, twilio_double):  # noqa: F811
    _, update = post_incident(db, ["+14155550100", "+14155550101"], channel="sms")
    drain_outbox()
    rows = db.session.query(Delivery).filter_by(update_id=update.id).order_by(Delivery.id).all()
    assert all(r.status == "sent" for r in rows)
    return rows


def test_forged_signatures_are_refused_and_change_nothing(app, db, client, sent_row):
    row = sent_row[0]
    path = f"/webhooks/twilio/status?d={row.id}"
    form = {"MessageSid": row.provider_id, "MessageStatus": "failed", "ErrorCode": "21610"}
    forged = {
        "no signature": None,
        "empty": "",
        "another account's token": twilio_signature(BASE + path, form, token="someone-else"),
        "signed for other values": twilio_signature(BASE + path, {**form, "MessageStatus": "delivered"}),
        "signed for another row": twilio_signature(f"{BASE}/webhooks/twilio/status?d={sent_row[1].id}", form),
        "signed for another host": twilio_signature("http://evil.test" + path, form),
        "garbage": "A" * 28,
    }
    for label, signature in forged.items():
        assert _post(client, path, form, signature).status_code == 403, label
        stop = {"From": "+14155550100", "Body": "STOP"}
        assert _post(client, "/webhooks/twilio/inbound", stop,
                     signature if label != "signed for other values" else twilio_signature(BASE + "/webhooks/twilio/inbound",
                                                                                          {**stop, "Body": "HELP"})
                     ).status_code == 403, label
    db.session.expire_all()
    assert db.session.get(Delivery, row.id).status == "sent"
    assert db.session.query(Subscriber).filter_by(opted_out=True).count() == 0


@pytest.mark.parametrize("final, replays", [
    ("delivered", ["queued", "sent", "failed", "undelivered", "sent"]),
    ("failed", ["sent", "delivered", "queued"]),
])
def test_replayed_callbacks_never_move_a_final_state_back(app, db, client, sent_row, final, replays):
    row = sent_row[0]
    path = f"/webhooks/twilio/status?d={row.id}"

    def callback(status, **extra):
        form = {"MessageSid": row.provider_id, "MessageStatus": status, **extra}
        return _post(client, path, form, twilio_signature(BASE + path, form))

    first = callback("undelivered", ErrorCode="30003") if final == "failed" else callback("delivered")
    assert first.status_code == 204
    db.session.expire_all()
    settled = db.session.get(Delivery, row.id)
    assert settled.status == final
    before = (settled.status, settled.last_error, settled.sent_at)
    for status in replays * 2:  # every old callback, twice
        assert callback(status).status_code == 204
    db.session.expire_all()
    after = db.session.get(Delivery, row.id)
    assert (after.status, after.last_error, after.sent_at) == before
