"""A `flask deliver` process killed with SIGKILL mid-batch and started again: every subscriber gets the email,
and only what the dead worker had on the wire without a record goes out twice."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

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
def test_sigkill_mid_batch_then_restart_loses_nothing_and_repeats_only_what_was_on_the_wire(app, db, smtp_sink,  # noqa: F811
                                                                                        tmp_path):
    """The duplicate bound: what the killed worker had sent but not yet recorded goes out once more, with the
    same Message-ID; nothing else is repeated and nothing is lost."""
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
    on_the_wire = len(smtp_sink.messages)
    assert on_the_wire == 3
    rows = outbox_rows(db, update)
    recorded = sum(1 for r in rows if r.status == "sent")
    assert {r.status for r in rows} <= {"sent", "sending"} and recorded <= 3  # the rest still leased

    # While the dead worker's lease runs, nobody else may take its rows.
    from statuspage.delivery.outbox import claim_batch

    assert claim_batch("impatient", ("email",), 100, lease_seconds=LEASE) == []

    again = _deliver(env)  # waits for the dead worker's lease, then takes its rows over
    out = again.communicate(timeout=60)[0].decode()
    assert again.returncode == 0, out
    assert "8 rows final, 0 waiting for a scheduled retry" in out, out
    got = Counter(r for m in smtp_sink.messages for r in m["rcpt_tos"])
    assert set(got) == {s.address for s in subs} and all(n in (1, 2) for n in got.values())  # nothing lost
    repeated = sum(n - 1 for n in got.values())
    assert repeated <= on_the_wire - recorded  # only what was on the wire and not yet recorded
    for address, n in got.items():
        ids = {m["message"]["Message-ID"] for m in smtp_sink.messages if m["rcpt_tos"] == [address]}
        assert len(ids) == 1, (address, ids)  # a repeat carries the first copy's Message-ID
    assert {r.status for r in outbox_rows(db, update)} == {"sent"}
    print(f"\n[crash] on the wire at the kill: {on_the_wire}, recorded: {recorded}, sent again: {repeated}")
