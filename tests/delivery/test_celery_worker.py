"""The scale-out runner: real Celery worker processes on Redis and PostgreSQL (the PostgreSQL leg of CI)."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from statuspage.models import Delivery
from tests.conftest import is_postgres
from tests.delivery.helpers import outbox_rows, post_incident
from tests.delivery.test_worker_crash import _deliver_env
from tests.doubles.smtp import smtp_sink  # noqa: F401  (fixture)
from tests.faults.processes import stop
from tests.helpers import wait_for

ROOT = Path(__file__).resolve().parents[2]
BROKER = os.environ.get("CELERY_BROKER_URL")

needs_postgres = pytest.mark.skipif(not is_postgres(), reason="needs DATABASE_URL pointing at PostgreSQL")
needs_celery = pytest.mark.skipif(not (is_postgres() and BROKER), reason="needs PostgreSQL and CELERY_BROKER_URL")


@needs_postgres
def test_two_workers_racing_claim_disjoint_rows(app, db):
    from statuspage.delivery.outbox import claim_batch

    post_incident(db, [f"user{i}@example.com" for i in range(300)])
    claimed: dict[str, list[int]] = {"a": [], "b": []}
    start = threading.Barrier(2)

    def worker(name):
        with app.app_context():
            start.wait()
            while ids := claim_batch(name, ("email",), 7, lease_seconds=60):
                claimed[name].extend(ids)
            db.session.remove()

    threads = [threading.Thread(target=worker, args=(n,)) for n in claimed]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not set(claimed["a"]) & set(claimed["b"])
    assert len(claimed["a"]) + len(claimed["b"]) == 300
    assert claimed["a"] and claimed["b"]  # SKIP LOCKED let both make progress


def _start_worker(env, name):
    # The log goes to a file: an unread pipe fills up and blocks the worker mid-task.
    log = open(Path(env["STATUSPAGE_INSTANCE"]).parent / f"celery-{name}.log", "ab")
    return subprocess.Popen([sys.executable, "-m", "celery", "-A", "statuspage.tasks", "worker", "--pool=solo",
                             "--loglevel=INFO", "-n", f"{name}@%h", "--without-gossip", "--without-mingle"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


@pytest.fixture
def celery_env(app, smtp_sink, tmp_path):  # noqa: F811
    from statuspage.tasks import celery

    celery.control.purge()
    env = _deliver_env(app, smtp_sink, tmp_path)
    env.update({"CELERY_BROKER_URL": BROKER, "DELIVERY_BATCH_SIZE": "10"})
    workers = []
    yield env, workers
    stop(*workers)


@needs_celery
@pytest.mark.celery
@pytest.mark.slow
def test_a_celery_worker_delivers_a_fan_out_end_to_end(app, db, smtp_sink, celery_env):  # noqa: F811
    env, workers = celery_env
    workers.append(_start_worker(env, "solo"))
    subs, update = post_incident(db, [f"user{i}@example.com" for i in range(40)])  # the commit sends the wake-up
    assert wait_for(lambda: len(smtp_sink.messages) >= 40, timeout=90, every=0.2), f"only {len(smtp_sink.messages)} arrived"
    time.sleep(0.5)
    assert Counter(r for m in smtp_sink.messages for r in m["rcpt_tos"]) == Counter({s.address: 1 for s in subs})
    assert wait_for(lambda: {r.status for r in outbox_rows(db, update)} == {"sent"}, timeout=10, every=0.2)


@needs_celery
@pytest.mark.celery
@pytest.mark.slow
def test_two_celery_workers_share_a_fan_out_without_sending_twice(app, db, smtp_sink, celery_env):  # noqa: F811
    env, workers = celery_env
    workers.extend([_start_worker(env, "one"), _start_worker(env, "two")])
    time.sleep(3)  # both workers up before the wake-ups arrive
    subs, update = post_incident(db, [f"user{i}@example.com" for i in range(300)])
    assert wait_for(lambda: len(smtp_sink.messages) >= 300, timeout=90, every=0.2), f"only {len(smtp_sink.messages)} arrived"
    time.sleep(1)
    assert Counter(r for m in smtp_sink.messages for r in m["rcpt_tos"]) == Counter({s.address: 1 for s in subs})
    db.session.expire_all()
    workers_seen = {c.split(":")[1] for (c,) in db.session.query(Delivery.claimed_by).distinct()}
    print("claimed by worker pids:", workers_seen)
    assert len(workers_seen) == 2  # prefetch 1 and several wake-ups: both workers take part


@needs_celery
@pytest.mark.celery
def test_the_sweeper_re_enqueues_rows_whose_wake_up_the_broker_lost(app, db):
    from statuspage.tasks import celery, sweep

    post_incident(db, [f"user{i}@example.com" for i in range(5)])
    celery.control.purge()  # the wake-ups are gone, the rows are not
    with celery.connection_for_write() as conn:
        queue = conn.default_channel.client
        assert queue.llen("statuspage") == 0
        queue.delete("statuspage:deliver-busy")
        assert sweep.apply().get() == 5
        assert queue.llen("statuspage") >= 1
    celery.control.purge()
