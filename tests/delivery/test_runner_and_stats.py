"""The embedded worker thread (single-runner guard, periodic jobs) and the dashboard's numbers."""
from __future__ import annotations

import fcntl
import time

import pytest

from statuspage.delivery.periodic import PeriodicJob
from statuspage.delivery.runner import drain_outbox, start_embedded_worker
from statuspage.delivery.stats import delivery_stats, retry_failed
from tests.delivery.helpers import outbox_rows, post_incident
from tests.doubles.smtp import smtp_sink  # noqa: F401  (fixture)
from tests.helpers import wait_for

JOB_RUNS = []


def record_job_run():
    JOB_RUNS.append(time.monotonic())


@pytest.fixture
def app_config(smtp_sink):  # noqa: F811
    return smtp_sink.config


@pytest.mark.slow
def test_embedded_worker_delivers_runs_periodic_jobs_and_yields_to_the_lock_holder(app, db, smtp_sink, monkeypatch):  # noqa: F811
    from pathlib import Path

    JOB_RUNS.clear()
    lock_path = Path(app.instance_path) / "delivery-worker.lock"
    with open(lock_path, "a+") as other_process:
        fcntl.flock(other_process, fcntl.LOCK_EX)  # another gunicorn worker owns the outbox
        thread = start_embedded_worker(app, [PeriodicJob("test-job", 1, record_job_run)])
        try:
            post_incident(db, ["a@example.com", "b@example.com"])
            time.sleep(1.5)
            assert smtp_sink.messages == [] and JOB_RUNS == []
            fcntl.flock(other_process, fcntl.LOCK_UN)  # ...and goes away: this process takes over
            assert wait_for(lambda: len(smtp_sink.messages) == 2, timeout=20)
            assert start_embedded_worker(app) is thread  # one worker per process
            post_incident(db, ["c@example.com"], name="Second")  # woken by the commit, not by polling
            assert wait_for(lambda: len(smtp_sink.messages) == 5, timeout=5)  # a, b and c
            assert wait_for(lambda: len(JOB_RUNS) >= 2, timeout=5)  # every second, again and again
        finally:
            thread.stop_event.set()
            thread.join(10)


def test_stats_count_by_channel_and_status_and_project_the_sms_finish(app, db, smtp_sink):  # noqa: F811
    app.config["SMS_RATE_PER_SECOND"] = 2
    smtp_sink.refuse("bad@example.com")
    _, update = post_incident(db, ["ok@example.com", "bad@example.com"])
    from statuspage.models import Subscriber
    from statuspage.services.fanout import fan_out_update
    from tests.factories import gen_subscriber, gen_update

    for i in range(10):
        gen_subscriber(f"+1415555{i:04d}", channel="sms")
    sms_update = gen_update(update.incident, status="identified")
    fan_out_update(sms_update)
    db.session.commit()
    drain_outbox_only_email(app)
    first = delivery_stats(update_id=update.id)
    assert first["by_channel"] == {"email": {"sent": 1, "failed": 1}}
    assert first["failures"][0]["count"] == 1 and "550" in first["failures"][0]["reason"]
    second = delivery_stats(update_id=sms_update.id)
    assert second["by_channel"]["sms"] == {"queued": 10} and second["sms_pending"] == 10
    from statuspage.models import utcnow

    eta = (second["projected_finish"] - utcnow()).total_seconds()
    assert 4 <= eta <= 5  # 10 SMS at 2 per second
    assert delivery_stats(incident_id=update.incident_id)["total"] == 2 + 2 + 10
    assert db.session.query(Subscriber).count() == 12


def drain_outbox_only_email(app):
    from statuspage.delivery.worker import deliver_batch, worker_name

    with app.app_context():
        while deliver_batch("email", worker_name()):
            pass


def test_retry_failed_queues_failed_rows_again(app, db, smtp_sink):  # noqa: F811
    smtp_sink.refuse("bad@example.com", 550)
    _, update = post_incident(db, ["ok@example.com", "bad@example.com"])
    drain_outbox()
    smtp_sink.refused.clear()  # the mailbox was fixed
    assert retry_failed(update.id) == 1
    db.session.commit()
    drain_outbox()
    assert {r.status for r in outbox_rows(db, update)} == {"sent"}
    assert sorted(smtp_sink.recipients()) == ["bad@example.com", "ok@example.com"]


def test_metrics_show_the_delivery_rate_and_the_oldest_due_row(app, db, client, smtp_sink):  # noqa: F811
    _, update = post_incident(db, ["a@example.com", "b@example.com"])
    waiting = client.get("/metrics").get_data(as_text=True)
    assert "statuspage_outbox_oldest_due_age_seconds" in waiting
    drain_outbox()
    body = client.get("/metrics").get_data(as_text=True)
    rate = next(line for line in body.splitlines()
                if line.startswith('statuspage_delivery_rate_per_second{channel="email",status="sent"}'))
    assert float(rate.split()[-1]) == round(2 / 60, 3)
    assert "statuspage_outbox_oldest_due_age_seconds 0.0" in body
