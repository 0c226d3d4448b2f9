"""Email through a real SMTP server on loopback; the outbox row is read back after each send."""
from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest

from statuspage.delivery.runner import drain_outbox
from statuspage.models import Delivery, utcnow
from tests.doubles.smtp import smtp_sink  # noqa: F401  (fixture)
from tests.delivery.helpers import outbox_rows, post_incident


@pytest.fixture
def app_config(smtp_sink):  # noqa: F811
    return {**smtp_sink.config, "DELIVERY_RETRY_BASE_SECONDS": 1.0, "DELIVERY_RETRY_MAX_SECONDS": 1.0}


def _post(db, n=3, **incident_kw):
    return post_incident(db, [f"user{i}@example.com" for i in range(n)], **incident_kw)


_rows = outbox_rows


def test_each_subscriber_gets_one_email_with_text_html_and_unsubscribe_headers(app, db, smtp_sink):
    subs, update = _post(db, name="CRM withdrawals failing", body="Call the hotline **400-100**.")
    drain_outbox()
    assert sorted(smtp_sink.recipients()) == sorted(s.address for s in subs)
    msg = next(m["message"] for m in smtp_sink.messages if m["rcpt_tos"] == [subs[0].address])
    assert "CRM withdrawals failing" in msg["Subject"]
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f"<http://status.test/unsubscribe/{subs[0].token}>" in msg["List-Unsubscribe"]
    assert "mailto:" in msg["List-Unsubscribe"]
    kinds = {part.get_content_type() for part in msg.walk()}
    assert {"text/plain", "text/html"} <= kinds
    assert "400-100" in msg.get_body(("plain",)).get_content()
    assert f"/incidents/{update.incident_id}" in msg.get_body(("html",)).get_content()
    rows = _rows(db, update)
    assert {r.status for r in rows} == {"sent"}
    assert all(r.provider_id and r.attempts == 1 for r in rows)


def test_a_sent_row_is_never_sent_again(app, db, smtp_sink):
    _, update = _post(db, n=2)
    drain_outbox()
    drain_outbox()
    assert len(smtp_sink.messages) == 2


def test_smtp_5xx_fails_the_row_without_retry(app, db, smtp_sink):
    smtp_sink.refuse("user1@example.com", 550, "5.1.1 mailbox unavailable")
    _, update = _post(db, n=2)
    drain_outbox()
    rows = {r.recipient: r for r in _rows(db, update)}
    assert rows["user1@example.com"].status == "failed"
    assert "550" in rows["user1@example.com"].last_error
    assert rows["user0@example.com"].status == "sent"


def test_retries_after_an_smtp_outage(app, db, smtp_sink):
    smtp_sink.outage()
    subs, update = _post(db, n=3)
    counts = drain_outbox()
    assert counts.get("retry", 0) >= 3 and "sent" not in counts
    rows = _rows(db, update)
    assert {r.status for r in rows} == {"queued"}
    assert all("unreachable" in r.last_error for r in rows)
    smtp_sink.restore()
    time.sleep(1.1)
    drain_outbox()
    assert sorted(smtp_sink.recipients()) == sorted(s.address for s in subs)
    assert {r.status for r in _rows(db, update)} == {"sent"}


def test_smtp_4xx_is_retried(app, db, smtp_sink):
    smtp_sink.tempfail = True
    _, update = _post(db, n=1)
    drain_outbox()
    row = _rows(db, update)[0]
    assert row.status == "queued" and "451" in row.last_error
    smtp_sink.tempfail = False
    time.sleep(1.1)
    drain_outbox()
    assert _rows(db, update)[0].status == "sent"
    assert len(smtp_sink.messages) == 1


def test_retries_stop_at_the_horizon(app, db, smtp_sink):
    app.config["DELIVERY_RETRY_HORIZON_SECONDS"] = 0
    smtp_sink.tempfail = True
    _, update = _post(db, n=1)
    drain_outbox()
    row = _rows(db, update)[0]
    assert row.status == "failed" and "gave up" in row.last_error


def test_a_row_whose_lease_expired_is_reclaimed_and_sent_once(app, db, smtp_sink):
    from statuspage.delivery.outbox import claim_batch

    _, update = _post(db, n=3)
    claimed = claim_batch("dead-worker", ("email",), 10, lease_seconds=60)
    assert len(claimed) == 3
    assert drain_outbox(wait_for_held=False) == {}  # leased to a live-looking worker: hands off
    db.session.query(Delivery).update({"lease_until": utcnow() - timedelta(seconds=1)})
    db.session.commit()
    drain_outbox()
    assert len(smtp_sink.messages) == 3
    assert {r.claimed_by for r in _rows(db, update)} != {"dead-worker"}


def test_drain_waits_for_rows_a_gone_worker_holds_then_takes_them_over(app, db, smtp_sink):
    from statuspage.delivery.outbox import claim_batch

    _, update = _post(db, n=3)
    assert len(claim_batch("gone-worker", ("email",), 10, lease_seconds=1.5)) == 3  # it never renews
    started = time.monotonic()
    assert drain_outbox() == {"sent": 3}
    assert time.monotonic() - started >= 1.0  # it waited for the lease, then took the rows over
    assert len(smtp_sink.messages) == 3
    assert {r.status for r in _rows(db, update)} == {"sent"}


def test_a_subscriber_who_opts_out_after_the_fan_out_is_not_sent_to(app, db, smtp_sink):
    subs, update = _post(db, n=2)
    subs[0].opted_out = True
    db.session.commit()
    drain_outbox()
    assert smtp_sink.recipients() == [subs[1].address]
    assert {r.recipient: r.status for r in _rows(db, update)}[subs[0].address] == "suppressed"


def test_a_subject_with_a_line_break_cannot_inject_headers(app, db, smtp_sink):
    from statuspage.channels import DeliveryError
    from statuspage.channels.email import EmailChannel

    _, update = _post(db, n=1, name="Outage\r\nBcc: victim@example.com")
    drain_outbox()
    msg = smtp_sink.messages[0]["message"]
    assert msg["Bcc"] is None and smtp_sink.recipients() == ["user0@example.com"]
    row = _rows(db, update)[0]
    with pytest.raises(DeliveryError) as err, EmailChannel(app).batch() as channel:
        channel.send(row, {"subject": "x\nBcc: victim@example.com", "text": "t"})
    assert err.value.permanent


def test_one_off_messages_go_out_too(app, db, smtp_sink):
    from statuspage.delivery.outbox import enqueue_message

    enqueue_message("admin", "email", "ops@example.com", "Stale incident", "No update for 30 minutes")
    db.session.commit()
    drain_outbox()
    assert smtp_sink.messages[0]["message"]["Subject"] == "Stale incident"


class TestLogMode:
    @pytest.fixture
    def app_config(self):
        return {}

    def test_without_mail_server_the_message_is_recorded_as_a_log_delivery(self, app, db):
        subs, update = _post(db, n=2, name="Database slow")
        counts = drain_outbox()
        assert counts["sent"] == 2
        rows = _rows(db, update)
        assert {r.channel for r in rows} == {"log"} and {r.status for r in rows} == {"logged"}
        payload = json.loads(rows[0].payload)
        assert "Database slow" in payload["subject"] and payload["html"]
        # Running the fan-out again after log mode does not queue a second copy.
        from statuspage.services.fanout import insert_deliveries

        assert insert_deliveries(update.id, update.incident) == 0


def test_a_slow_send_keeps_its_rows_under_a_lease_the_heartbeat_renews(app, db, smtp_sink, monkeypatch):
    import threading

    from statuspage.channels.email import EmailChannel
    from statuspage.delivery.outbox import claim_batch

    app.config["DELIVERY_LEASE_SECONDS"] = 1.5
    _, update = _post(db, n=3)
    original = EmailChannel.send_bytes

    def slow_send(self, *args, **kwargs):
        time.sleep(1.2)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(EmailChannel, "send_bytes", slow_send)

    def drain():
        with app.app_context():
            drain_outbox()

    worker = threading.Thread(target=drain)
    worker.start()
    try:
        time.sleep(2.5)  # past the first lease: only the heartbeat keeps the rows this worker's
        assert claim_batch("other-worker", ("email",), 10, lease_seconds=10) == []
    finally:
        worker.join(30)
    assert sorted(smtp_sink.recipients()) == [f"user{i}@example.com" for i in range(3)]
    assert {(r.status, r.attempts) for r in _rows(db, update)} == {("sent", 1)}


def test_one_batch_of_accepted_4xx_and_5xx_recipients_is_recorded_row_by_row_in_one_statement(app, db, smtp_sink):
    from sqlalchemy import event

    smtp_sink.refuse("user1@example.com", 450, "4.2.1 mailbox busy")
    smtp_sink.refuse("user3@example.com", 550, "5.1.1 no such user")
    _, update = _post(db, n=5)
    app.config["DELIVERY_RECORD_EVERY"] = 1000
    app.config["DELIVERY_RECORD_MS"] = 60_000  # nothing is written before the batch ends
    writes = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().startswith(("UPDATE delivery", "WITH v(")) and "RETURNING" in statement:
            writes.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        counts = drain_outbox()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert counts == {"sent": 3, "retry": 1, "failed": 1}
    assert len(writes) == 1  # the whole batch's outcomes in one statement
    rows = {r.recipient: r for r in _rows(db, update)}
    for address in ("user0@example.com", "user2@example.com", "user4@example.com"):
        row = rows[address]
        assert (row.status, row.attempts, row.last_error, row.lease_until) == ("sent", 1, None, None)
        assert row.sent_at is not None and row.provider_id.startswith("<") and row.provider_id.endswith(">")
    busy, gone = rows["user1@example.com"], rows["user3@example.com"]
    assert (busy.status, busy.attempts, busy.sent_at) == ("queued", 1, None) and "450" in busy.last_error
    assert busy.next_attempt_at > utcnow()
    assert (gone.status, gone.attempts, gone.sent_at) == ("failed", 1, None) and "550" in gone.last_error
    assert len({r.provider_id for r in rows.values() if r.status == "sent"}) == 3
    assert sorted(smtp_sink.recipients()) == ["user0@example.com", "user2@example.com", "user4@example.com"]
