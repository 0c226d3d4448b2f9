"""The database goes away during a fan-out, during delivery, and under the public page."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text

from statuspage.extensions import db as _db
from statuspage.models import Delivery, Incident
from tests.conftest import is_postgres
from tests.delivery.helpers import outbox_rows
from tests.doubles.smtp import smtp_sink  # noqa: F401  (fixture)
from tests.factories import PASSWORD, gen_incident, gen_subscriber
from tests.faults.ledger import assert_exactly_once, ledger
from tests.helpers import wait_for, without_csrf_tokens
from tests.faults.outage import DatabaseOutage

needs_postgres = pytest.mark.skipif(not is_postgres(), reason="needs DATABASE_URL pointing at PostgreSQL")


@pytest.fixture
def app_config(smtp_sink):  # noqa: F811
    return {**smtp_sink.config, "DELIVERY_LEASE_SECONDS": 3, "DELIVERY_RETRY_BASE_SECONDS": 0.5,
            "DELIVERY_RETRY_MAX_SECONDS": 1.0}


@pytest.fixture
def outage(app, tmp_path):
    o = DatabaseOutage(app, tmp_path)
    yield o
    o.close()


@needs_postgres
@pytest.mark.slow
@pytest.mark.parametrize("via", ["admin API", "admin form"])
def test_database_lost_during_fan_out_gives_a_clear_error_and_no_half_written_incident(app, db, bearer, smtp_sink, outage,  # noqa: F811
                                                                                      monkeypatch, via):
    from statuspage.delivery.runner import drain_outbox
    from statuspage.services import fanout
    from statuspage.services import incidents as incident_service

    headers = bearer("admin")  # admin@example.com, with password PASSWORD
    addresses = [f"user{i}@example.com" for i in range(15)]
    for a in addresses:
        gen_subscriber(a)
    db.session.commit()
    original = fanout.fan_out_update
    cuts = []

    def fan_out_while_the_database_goes_away(update, *a, **kw):
        if not cuts:
            cuts.append(True)
            outage.cut()  # the incident row is flushed; the outbox rows are next
        return original(update, *a, **kw)

    # Patched where the incident service calls it (it imports the function by name).
    monkeypatch.setattr(incident_service, "fan_out_update", fan_out_while_the_database_goes_away)
    client = outage.app.test_client()
    body = {"name": "Withdrawals failing", "status": "investigating", "impact": "major",
            "body": "Call the hotline.", "deliver_notifications": True}
    if via == "admin form":
        assert client.post("/admin/login", data={"email": "admin@example.com", "password": PASSWORD}).status_code == 302
        form = {**body, "visibility": "public", "audience": "everyone", "deliver_notifications": "on", "action": "post"}
        post = lambda: client.post("/admin/incidents/new", data=form)  # noqa: E731
    else:
        post = lambda: client.post("/api/admin/v1/incidents", json=body, headers=headers)  # noqa: E731
    resp = post()
    assert cuts, "the fan-out never ran"
    assert resp.status_code == 503, resp.get_data(as_text=True)
    text = resp.get_data(as_text=True)
    assert "temporarily unavailable" in text and "try again" in text  # a clear error, not a stack trace
    if via == "admin API":
        assert resp.get_json()["error"]["code"] == "unavailable"
    db.session.expire_all()
    assert db.session.query(Incident).count() == 0  # nothing half-written: no incident without its outbox
    assert db.session.query(Delivery).count() == 0

    outage.restore()
    resp = post()  # the admin tries again; pre-ping hands the app a fresh connection
    assert resp.status_code in (201, 302), resp.get_data(as_text=True)
    db.session.expire_all()
    incident = db.session.query(Incident).one()
    drain_outbox()
    figures = ledger(f"postgres lost during fan-out, retried ({via})", db, incident.updates[0],
                     smtp_sink.recipients(), addresses)
    assert_exactly_once(figures)


def _run_worker(app, stop):
    from statuspage.delivery.runner import run_loop

    with app.app_context():
        run_loop(stop)


def _notice_queued_for(db, count: int):
    """`count` email subscribers and one incident update fanned out to them, committed."""
    from statuspage.services.fanout import fan_out_update

    addresses = [f"user{i}@example.com" for i in range(count)]
    for a in addresses:
        gen_subscriber(a)
    update = gen_incident().updates[0]
    fan_out_update(update)
    db.session.commit()
    return addresses, update


@needs_postgres
@pytest.mark.slow
@pytest.mark.parametrize("how", ["proxy cut for 2 s", "pg_terminate_backend"])
def test_database_lost_during_delivery_then_delivery_resumes(app, db, smtp_sink, outage, how):  # noqa: F811
    from statuspage.delivery import runner

    addresses, update = _notice_queued_for(db, 30)
    stop = threading.Event()
    worker = threading.Thread(target=_run_worker, args=(outage.app, stop), daemon=True)
    smtp_sink.hold_at(10)  # the moment of the outage: the 10th message is on the wire
    worker.start()
    try:
        assert smtp_sink.held.wait(30)
        if how == "pg_terminate_backend":
            killed = db.session.execute(text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
            db.session.commit()
            assert killed >= 1
        else:
            outage.cut()
        smtp_sink.hold_number = None
        smtp_sink.release()  # the held message is refused (451), a transient failure
        if how != "pg_terminate_backend":
            time.sleep(2)
            outage.restore()
        runner._wake.set()
        assert wait_for(lambda: {r.status for r in outbox_rows(db, update)} == {"sent"}, timeout=40), \
            sorted((r.recipient, r.status, r.last_error) for r in outbox_rows(db, update) if r.status != "sent")
        time.sleep(0.5)
    finally:
        stop.set()
        runner._wake.set()
        worker.join(15)
    figures = ledger(f"postgres lost during delivery ({how})", db, update, smtp_sink.recipients(), addresses)
    assert_exactly_once(figures)


@needs_postgres
@pytest.mark.slow
def test_database_lost_between_a_send_and_its_record_sends_nothing_twice(app, db, smtp_sink, outage,  # noqa: F811
                                                                          monkeypatch):
    """The narrowest window: the SMTP server took the message, the database is gone before the row says so."""
    from statuspage.channels.email import EmailChannel
    from statuspage.delivery import runner

    addresses, update = _notice_queued_for(db, 12)
    original = EmailChannel.send
    sends = []

    def send_then_lose_the_database(self, delivery, message):
        provider_id = original(self, delivery, message)
        sends.append(delivery.recipient)
        if len(sends) == 5:
            outage.cut()
            threading.Timer(1.5, outage.restore).start()
        return provider_id

    monkeypatch.setattr(EmailChannel, "send", send_then_lose_the_database)
    stop = threading.Event()
    worker = threading.Thread(target=_run_worker, args=(outage.app, stop), daemon=True)
    worker.start()
    try:
        assert wait_for(lambda: {r.status for r in outbox_rows(db, update)} == {"sent"}, timeout=40), \
            sorted((r.recipient, r.status, r.last_error) for r in outbox_rows(db, update) if r.status != "sent")
        time.sleep(0.5)
    finally:
        stop.set()
        runner._wake.set()
        worker.join(15)
    figures = ledger("postgres lost between send and record", db, update, smtp_sink.recipients(), addresses)
    assert_exactly_once(figures)


def _without_csrf(body: bytes) -> bytes:
    """Each response carries its own CSRF token; the rest of the page is the cached copy."""
    return without_csrf_tokens(body)


def test_public_page_answers_from_cache_while_the_database_is_down_and_readyz_says_not_ready(app, db, tmp_path):
    from statuspage import cache

    gen_incident(name="Payments delayed", body="Card payments are delayed.")
    db.session.commit()
    cache.clear()
    outage = DatabaseOutage(app, tmp_path)
    client = outage.app.test_client()
    incident_id = db.session.query(Incident.id).scalar()
    paths = ["/", f"/incidents/{incident_id}", "/history", "/api/v2/summary.json", "/feed.atom"]
    fresh = {}
    for path in paths:
        resp = client.get(path)
        assert resp.status_code == 200, path
        fresh[path] = _without_csrf(resp.get_data())
    assert b"Payments delayed" in fresh["/"]
    assert client.get("/readyz").status_code == 200

    outage.cut()
    try:
        for path in paths:
            resp = client.get(path)
            assert resp.status_code == 200, (path, resp.status_code)
            assert _without_csrf(resp.get_data()) == fresh[path], path  # the last good copy
            assert "stale-if-error" in resp.headers["Cache-Control"]
            assert "Stale" in resp.headers.get("Warning", "")
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.get_json()["error"]["code"] == "database_unreachable"
        assert client.get("/healthz").status_code == 200
        never_cached = client.get("/incidents/999999")
        assert never_cached.status_code == 503  # nothing stale to give: a clear "try again", not a 500
        outage.restore()
        assert wait_for(lambda: client.get("/readyz").status_code == 200, timeout=10)
        resp = client.get("/")
        assert resp.status_code == 200 and "Warning" not in resp.headers
    finally:
        outage.close()
