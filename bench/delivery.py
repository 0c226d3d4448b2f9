"""Delivery: email to an SMTP sink with 1, 2 and 4 workers, SMS under its rate ceiling, claim overhead per row.

    .venv/bin/python bench/delivery.py                 # 5,000 emails per worker count, 1,500 SMS, 3,000 no-op rows
    .venv/bin/python bench/delivery.py --quick         # 1,000 emails, 500 SMS, 1,000 no-op rows
    .venv/bin/python bench/delivery.py --only email    # or sms, claim

Email: `flask --app wsgi deliver --drain` processes (the engine's own workers) on PostgreSQL (database
sp_bench_ref, emptied first) sending to an aiosmtpd sink that accepts and discards; the rate is rows over
the span from the first to the last `sent_at`, so process start-up is not counted. Reference: a bare
smtplib loop sending the same rendered messages (Flask-Mail's bytes, rendered by the engine's renderer
beforehand) over one connection to the same sink. SMS: 4 Celery worker processes (Redis db 6 as broker and
token-bucket store) sending to the loopback Twilio double with SMS_RATE_PER_SECOND=50; the double stamps
every arrival. Claim overhead: this process drains rows through the real engine with a channel that sends
nothing, on SQLite and PostgreSQL. Prints one JSON line.
"""
from __future__ import annotations

import argparse
import os
import smtplib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import (ROOT, VENV_BIN, emit, fresh_schema, load_average, make_app, open_incident, pg_url, say,  # noqa: E402
                     seed_subscribers_sql)
from sinks import start_sink, timed_twilio  # noqa: E402

REDIS = "redis://127.0.0.1:6379/6"
SMS_RATE = 50


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--emails", type=int, default=None, help="per worker count (default 5,000)")
    parser.add_argument("--sms", type=int, default=None, help="default 1,500 (30 s at the ceiling)")
    parser.add_argument("--claim-rows", type=int, default=None, help="default 3,000")
    parser.add_argument("--workers", default="1,2,4", help="email worker counts")
    parser.add_argument("--sms-workers", type=int, default=4, help="Celery worker processes for SMS")
    parser.add_argument("--only", choices=("email", "sms", "claim"))
    parser.add_argument("--database", default="sp_bench_ref")
    args = parser.parse_args()
    emails = args.emails or (1_000 if args.quick else 5_000)
    sms = args.sms or (500 if args.quick else 1_500)
    claim_rows = args.claim_rows or (1_000 if args.quick else 3_000)
    url = pg_url(args.database)
    out = {"bench": "delivery", "loadavg_start": load_average()}
    app = make_app(url)
    fresh_schema(app)
    seed_subscribers_sql(app, max(emails, sms * 3, claim_rows) * 3 // 2 + 3, 5, 10)
    incident_id = open_incident(app, [], [], "Withdrawals failing")
    update_id = make_update(app, incident_id)
    if args.only in (None, "email"):
        out["email"] = bench_email(app, url, update_id, emails, [int(w) for w in args.workers.split(",")])
    if args.only in (None, "sms"):
        out["sms"] = bench_sms(app, url, update_id, sms, args.sms_workers)
    if args.only in (None, "claim"):
        tmp = Path(tempfile.mkdtemp(prefix="statuspage-claim-"))
        lite = make_app(f"sqlite:///{tmp / 'claim.db'}")
        fresh_schema(lite)
        seed_subscribers_sql(lite, claim_rows * 3 // 2 + 3, 5, 10)
        lite_update = make_update(lite, open_incident(lite, [], [], "Withdrawals failing"))
        out["claim_noop"] = {"postgresql": bench_claim(app, update_id, claim_rows),
                             "sqlite": bench_claim(lite, lite_update, claim_rows)}
        say("claim", out["claim_noop"])
    out["targets"] = targets(out)
    emit(out)


def make_update(app, incident_id: int) -> int:
    """An update whose rows the benches write themselves (deliver_notifications off: no fan-out of its own)."""
    from statuspage.extensions import db
    from statuspage.models import IncidentUpdate

    with app.app_context():
        update = IncidentUpdate(incident_id=incident_id, status="identified", deliver_notifications=False,
                                body="Withdrawals fail. Call **400-820-8820** or email support@example.com and "
                                     "we process them by hand.")
        db.session.add(update)
        db.session.commit()
        uid = update.id
        db.session.remove()
        return uid


def queue_rows(app, update_id: int, channel: str, n: int, wake: bool = False) -> None:
    """Empty the outbox, then `n` queued rows for `update_id` on `channel` (set-based, like the fan-out)."""
    from sqlalchemy import text

    from statuspage.delivery.outbox import request_wakeup
    from statuspage.extensions import db
    from statuspage.models import utcnow

    with app.app_context():
        pg = db.engine.dialect.name == "postgresql"
        now = utcnow() if pg else utcnow().replace(tzinfo=None)
        db.session.execute(text("DELETE FROM delivery"))
        db.session.execute(text(
            "INSERT INTO delivery (kind, update_id, subscriber_id, channel, recipient, status, attempts, "
            "next_attempt_at, created_at, updated_at) SELECT 'update', :u, id, channel, address, 'queued', 0, "
            ":now, :now, :now FROM subscriber WHERE channel = :ch ORDER BY id LIMIT :n"),
            {"u": update_id, "now": now, "ch": channel, "n": n})
        if wake:
            request_wakeup(rows=n)
        db.session.commit()
        db.session.remove()


def outbox_counts(app) -> dict:
    from sqlalchemy import text

    from statuspage.extensions import db

    with app.app_context():
        rows = dict(db.session.execute(text("SELECT status, count(*) FROM delivery GROUP BY status")).all())
        db.session.remove()
        return {k: int(v) for k, v in rows.items()}


def sent_span(app) -> float:
    from sqlalchemy import text

    from statuspage.extensions import db

    with app.app_context():
        first, last = db.session.execute(text("SELECT min(sent_at), max(sent_at) FROM delivery")).one()
        db.session.remove()
    return (last - first).total_seconds()


def bench_email(app, url: str, update_id: int, n: int, worker_counts: list[int]) -> dict:
    sink = start_sink()
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench", "MAIL_SERVER": "127.0.0.1",
           "MAIL_PORT": str(sink.port), "EMBEDDED_WORKER": "0", "AUTO_MIGRATE": "0",
           "PUBLIC_BASE_URL": "http://status.bench", "STATUSPAGE_INSTANCE": str(ROOT / "bench" / ".instance")}
    env.pop("CELERY_BROKER_URL", None)
    result = {"messages": n, "sink": "aiosmtpd, accepts and discards", "database": "postgresql"}
    try:
        ref = reference_smtp(app, update_id, sink.port, n)
        result["reference_msgs_per_s"] = ref
        say("email reference", ref, "msg/s")
        runs = {}
        for workers in worker_counts:
            queue_rows(app, update_id, "email", n)
            started = time.monotonic()
            procs = [subprocess.Popen([str(VENV_BIN / "flask"), "--app", "wsgi", "deliver", "--drain"], env=env,
                                      cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                     for _ in range(workers)]
            for proc in procs:
                _, err = proc.communicate()
                if proc.returncode:
                    sys.stderr.write(err[-3000:])
            wall = time.monotonic() - started
            counts = outbox_counts(app)
            rate = n / sent_span(app)
            runs[str(workers)] = {"msgs_per_s": round(rate, 1), "per_worker": round(rate / workers, 1),
                                  "ratio_per_worker": round(rate / workers / ref, 3),
                                  "scaling_vs_1": None, "wall_seconds_with_startup": round(wall, 1),
                                  "outbox": counts, "loadavg": load_average()[0]}
            say("email", workers, "workers", runs[str(workers)])
        base = runs.get("1", {}).get("msgs_per_s")
        for r in runs.values():
            r["scaling_vs_1"] = round(r["msgs_per_s"] / base, 2) if base else None
        result["workers"] = runs
    finally:
        result["sink_accepted_total"] = sink.stop()
    return result


def reference_smtp(app, update_id: int, port: int, n: int) -> float:
    """Messages per second of a bare smtplib loop over one connection, sending the engine's rendered bytes."""
    from flask_mail import Message
    from sqlalchemy.orm import joinedload

    from statuspage.notices import delivery_message
    from statuspage.extensions import db
    from statuspage.models import Delivery

    distinct = min(n, 500)
    queue_rows(app, update_id, "email", distinct)
    with app.app_context():
        rows = db.session.query(Delivery).options(joinedload(Delivery.subscriber), joinedload(Delivery.update)).all()
        rendered = []
        for row in rows:
            m = delivery_message(row)
            msg = Message(subject=m["subject"], recipients=[row.recipient], body=m["text"], html=m.get("html"),
                          sender=app.config["MAIL_DEFAULT_SENDER"], extra_headers=dict(m.get("headers") or {}))
            rendered.append((row.recipient, msg.as_bytes()))
        db.session.remove()
    conn = smtplib.SMTP("127.0.0.1", port)
    started = time.perf_counter()
    for i in range(n):
        to, raw = rendered[i % distinct]
        conn.sendmail("status@localhost", [to], raw)
    elapsed = time.perf_counter() - started
    conn.quit()
    return round(n / elapsed, 1)


def bench_sms(app, url: str, update_id: int, n: int, processes: int = 4) -> dict:
    import redis

    from statuspage.tasks import init_celery

    redis.Redis.from_url(REDIS).flushdb()
    double = timed_twilio()
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench", "CELERY_BROKER_URL": REDIS, "REDIS_URL": REDIS,
           "SMS_RATE_PER_SECOND": str(SMS_RATE), "AUTO_MIGRATE": "0", "PUBLIC_BASE_URL": "http://status.bench",
           "STATUSPAGE_INSTANCE": str(ROOT / "bench" / ".instance"),
           **{k: str(v) for k, v in double.config.items()}}
    worker = subprocess.Popen([str(VENV_BIN / "celery"), "-A", "statuspage.tasks", "worker", "-c", str(processes),
                               "--pool", "prefork", "-l", "warning", "-Q", "statuspage"],
                              env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    result = {"messages": n, "rate_ceiling": SMS_RATE, "celery_worker_processes": processes, "broker": "redis db 6"}
    try:
        time.sleep(8)  # the pool starts; its start-up kick finds an empty outbox
        sms_app = make_app(url, CELERY_BROKER_URL=REDIS, REDIS_URL=REDIS, SMS_RATE_PER_SECOND=SMS_RATE,
                           **double.config)
        init_celery(sms_app)
        queue_rows(sms_app, update_id, "sms", n, wake=True)
        deadline = time.monotonic() + n / SMS_RATE * 3 + 60
        while len(double.arrivals) < n and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(1)
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
        double.close()
    arrivals = sorted(double.arrivals)
    result.update(window_rates(arrivals))
    result["outbox"] = outbox_counts(app)
    say("sms", result)
    return result


def window_rates(arrivals: list[float]) -> dict:
    """Steady rate, and the most sends in any 1-second window (sliding, from every arrival)."""
    if len(arrivals) < 2:
        return {"received": len(arrivals)}
    worst, j = 0, 0
    for i, t in enumerate(arrivals):
        while arrivals[j] < t - 1.0 + 1e-9:
            j += 1
        worst = max(worst, i - j + 1)
    span = arrivals[-1] - arrivals[0]
    per_second: dict[int, int] = {}
    for t in arrivals:
        per_second[int(t)] = per_second.get(int(t), 0) + 1
    full_seconds = list(per_second.values())[1:-1]
    gaps = sorted(b - a for a, b in zip(arrivals, arrivals[1:]))
    return {"received": len(arrivals), "span_seconds": round(span, 2),
            "median_gap_ms": round(gaps[len(gaps) // 2] * 1000, 1), "longest_gap_ms": round(gaps[-1] * 1000, 1),
            "seconds_lost_in_gaps_over_100ms": round(sum(g for g in gaps if g > 0.1), 2),
            "rate_per_s": round((len(arrivals) - 1) / span, 2),
            "max_in_any_sliding_1s_window": worst,
            "max_in_a_clock_second": max(full_seconds) if full_seconds else None,
            "min_in_a_clock_second": min(full_seconds) if full_seconds else None}


def bench_claim(app, update_id: int, n: int) -> dict:
    """Rows per second through claim, re-check, render and finish with a channel that sends nothing."""
    from statuspage import channels
    from statuspage.channels.base import Channel
    from statuspage.channels.email import EmailChannel
    from statuspage.delivery.runner import drain_outbox

    class NoopChannel(EmailChannel):
        """Renders as email does, sends nothing."""

        batch = Channel.batch

        @classmethod
        def is_configured(cls, app) -> bool:
            return True

        def send(self, delivery, message):
            return "noop"

    queue_rows(app, update_id, "email", n)
    saved = channels.CHANNELS["email"]
    channels.CHANNELS["email"] = NoopChannel
    try:
        with app.app_context():
            started = time.perf_counter()
            counts = drain_outbox()
            elapsed = time.perf_counter() - started
    finally:
        channels.CHANNELS["email"] = saved
    return {"rows": n, "rows_per_s": round(n / elapsed, 1), "seconds": round(elapsed, 2), "counts": counts,
            "loadavg": load_average()[0]}


def targets(out: dict) -> dict:
    met = {}
    email = out.get("email")
    if email:
        for workers, run in email["workers"].items():
            met[f"email_{workers}w_per_worker_ge_0.8_ref"] = run["ratio_per_worker"] >= 0.8
        cores = os.cpu_count() or 2
        top = email["workers"].get(str(cores))
        if top:
            met[f"email_scales_to_{cores}_cores_ge_{0.8 * cores:.1f}x"] = (top["scaling_vs_1"] or 0) >= 0.8 * cores
    sms = out.get("sms")
    if sms and "rate_per_s" in sms:
        met["sms_never_above_ceiling_any_1s"] = sms["max_in_any_sliding_1s_window"] <= SMS_RATE
        met["sms_reaches_0.95_ceiling"] = sms["rate_per_s"] >= 0.95 * SMS_RATE
        met["sms_all_received"] = sms["received"] == sms["messages"]
    return met


if __name__ == "__main__":
    main()
