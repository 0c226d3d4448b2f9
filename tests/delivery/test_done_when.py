"""The issue's done-when: an incident for one tenant reaches each of its subscribers exactly once by
email and by SMS, and nobody else, in both runners.

The default audience is 300 people (two legs of CI stay fast); the 10,000 run is
`DONE_WHEN_SUBSCRIBERS=10000 python -m pytest tests/delivery/test_done_when.py -s`, which
also prints the fan-out time and the delivery rates.
"""
from __future__ import annotations

import os
import secrets
import time
from collections import Counter

import pytest
from sqlalchemy import insert

from statuspage.models import Delivery, Subscriber
from statuspage.services.fanout import fan_out_update
from tests.conftest import is_postgres
from tests.delivery.test_celery_worker import BROKER, _start_worker
from tests.delivery.test_worker_crash import _deliver_env
from tests.doubles.smtp import smtp_sink  # noqa: F401  (fixture)
from tests.doubles.twilio import twilio_double  # noqa: F401  (fixture)
from tests.factories import gen_incident, gen_tenant
from tests.helpers import wait_for

N = int(os.environ.get("DONE_WHEN_SUBSCRIBERS", "300"))
OTHERS = max(50, N // 10)


@pytest.fixture
def app_config(smtp_sink, twilio_double):  # noqa: F811
    return {**smtp_sink.config, **twilio_double.config, "SMS_RATE_PER_SECOND": 100000}


def _people(db):
    """N people of tenant A with an email and a phone each; tenant B and the main page have their own."""
    a, b = gen_tenant("Alpha"), gen_tenant("Beta")
    rows = []
    for tenant, prefix, count in ((a, "a", N), (b, "b", OTHERS), (None, "m", OTHERS)):
        for i in range(count):
            for channel, address in (("email", f"{prefix}{i}@example.com"),
                                     ("sms", f"+1{ {'a': 212, 'b': 312, 'm': 415}[prefix] }55{i:05d}".replace(" ", ""))):
                rows.append({"channel": channel, "address": address, "tenant_id": tenant.id if tenant else None,
                             "locale": "en", "all_components": True, "confirmed": True, "opted_out": False,
                             "test_audience": False, "token": secrets.token_urlsafe(18), "confirm_attempts": 0,
                             "source": "import"})
    db.session.execute(insert(Subscriber.__table__), rows)
    db.session.commit()
    return a


def _fan_out(db, tenant):
    incident = gen_incident(name="CRM withdrawals failing", tenants=[tenant],
                            body="Call the hotline 400-100 and we will process withdrawals by hand.")
    started = time.perf_counter()
    written = fan_out_update(incident.updates[0])
    db.session.commit()
    elapsed = time.perf_counter() - started
    return incident.updates[0], written, elapsed


def _wait_all(smtp, twilio, timeout):
    return wait_for(lambda: len(smtp.messages) >= N and len(twilio.sent()) >= N, timeout=timeout, every=0.25)


def _check_exactly_once(db, update, smtp, twilio):
    time.sleep(1)  # anything extra would have arrived by now
    emails = Counter(r for m in smtp.messages for r in m["rcpt_tos"])
    texts = Counter(r["form"]["To"] for r in twilio.sent())
    assert emails == Counter({f"a{i}@example.com": 1 for i in range(N)})
    assert texts == Counter({f"+121255{i:05d}": 1 for i in range(N)})
    db.session.expire_all()
    statuses = Counter(s for (s,) in db.session.query(Delivery.status).filter_by(update_id=update.id))
    assert statuses == {"sent": 2 * N}


def _report(label, written, fanout_s, delivery_s):
    print(f"\n[{label}] fan-out of {written} rows: {fanout_s:.3f} s; "
          f"delivered {2 * N} messages ({N} email + {N} SMS) in {delivery_s:.1f} s "
          f"= {2 * N / delivery_s:.0f} messages/s")


@pytest.mark.slow
def test_embedded_runner_reaches_exactly_the_tenant(app, db, smtp_sink, twilio_double):  # noqa: F811
    from statuspage.delivery.runner import start_embedded_worker

    tenant = _people(db)
    update, written, fanout_s = _fan_out(db, tenant)
    assert written == 2 * N
    started = time.perf_counter()
    thread = start_embedded_worker(app)
    try:
        assert _wait_all(smtp_sink, twilio_double, timeout=120 + N / 5), (len(smtp_sink.messages), len(twilio_double.sent()))
        delivery_s = time.perf_counter() - started
    finally:
        thread.stop_event.set()
        thread.join(30)
    _check_exactly_once(db, update, smtp_sink, twilio_double)
    _report("embedded", written, fanout_s, delivery_s)


@pytest.mark.slow
@pytest.mark.celery
@pytest.mark.skipif(not (is_postgres() and BROKER), reason="needs PostgreSQL and CELERY_BROKER_URL")
def test_celery_workers_reach_exactly_the_tenant(app, db, smtp_sink, twilio_double, tmp_path):  # noqa: F811
    from statuspage.tasks import celery

    celery.control.purge()
    env = _deliver_env(app, smtp_sink, tmp_path)
    env.update({**{k: str(v) for k, v in twilio_double.config.items()}, "CELERY_BROKER_URL": BROKER,
                "SMS_RATE_PER_SECOND": "100000"})
    workers = [_start_worker(env, "one"), _start_worker(env, "two")]
    try:
        tenant = _people(db)
        time.sleep(3)
        update, written, fanout_s = _fan_out(db, tenant)
        started = time.perf_counter()
        assert _wait_all(smtp_sink, twilio_double, timeout=120 + N / 5), (len(smtp_sink.messages), len(twilio_double.sent()))
        delivery_s = time.perf_counter() - started
        _check_exactly_once(db, update, smtp_sink, twilio_double)
        _report("celery x2", written, fanout_s, delivery_s)
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            w.wait(30)
