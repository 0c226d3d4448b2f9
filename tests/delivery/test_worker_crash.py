"""A `flask deliver` process killed with SIGKILL mid-batch and started again: every subscriber gets exactly one email."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from statuspage.models import Delivery
from tests.delivery.helpers import outbox_rows, post_incident
from tests.doubles.smtp import smtp_sink  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parents[2]
LEASE = 4


def _deliver_env(app, smtp, tmp_path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "TWILIO_"))}
    env.update({
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "STATUSPAGE_INSTANCE": str(tmp_path / "worker-instance"),
        "SECRET_KEY": "test-secret",
        "PUBLIC_BASE_URL": "http://status.test",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp.port),
        "MAIL_DEFAULT_SENDER": "status@status.test",
        "AUTO_MIGRATE": "0",
        "EMBEDDED_WORKER": "0",
        "DELIVERY_LEASE_SECONDS": str(LEASE),
    })
    return env


def _deliver(env, **kw):
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "deliver", "--drain"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kw)


@pytest.mark.slow
def test_sigkill_mid_batch_then_restart_sends_each_email_exactly_once(app, db, smtp_sink, tmp_path):  # noqa: F811
    subs, update = post_incident(db, [f"user{i}@example.com" for i in range(8)])
    env = _deliver_env(app, smtp_sink, tmp_path)
    smtp_sink.hold_at(4)  # the 4th message hangs inside the SMTP conversation
    worker = _deliver(env)
    try:
        assert smtp_sink.held.wait(60), worker.communicate(timeout=5)[0]
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
    smtp_sink.release()
    assert len(smtp_sink.messages) == 3
    rows = outbox_rows(db, update)
    assert Counter(r.status for r in rows) == {"sent": 3, "sending": 5}  # the dead worker's batch, still leased

    # While the dead worker's lease runs, nobody else may take its rows.
    from statuspage.delivery.outbox import claim_batch

    assert claim_batch("impatient", ("email",), 100, lease_seconds=LEASE) == []

    time.sleep(LEASE + 0.5)
    again = _deliver(env)
    out = again.communicate(timeout=60)[0].decode()
    assert again.returncode == 0, out
    got = Counter(r for m in smtp_sink.messages for r in m["rcpt_tos"])
    assert got == Counter({s.address: 1 for s in subs})
    assert {r.status for r in outbox_rows(db, update)} == {"sent"}
    assert db.session.query(Delivery).filter(Delivery.attempts > 1).count() == 1  # only the message in flight
