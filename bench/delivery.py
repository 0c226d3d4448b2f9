"""Delivery: email per worker against the bare smtplib loop, 2 workers vs 1, 100,000 emails from Post to the
SMTP server's acceptance of the last one (embedded default on SQLite; PostgreSQL + Celery on Redis), SMS at
100/s and 500/s, claim overhead per row.

    .venv/bin/python bench/delivery.py                 # everything (~10 min)
    .venv/bin/python bench/delivery.py --quick         # 5,000 emails per worker count, 10,000 for the wall time
    .venv/bin/python bench/delivery.py --only email    # or wall, sms, claim

Email: `flask --app wsgi deliver --drain` processes (the engine's own workers) on PostgreSQL (database
sp_bench_ref, emptied first) sending to bench/fast_sink.py, a lean SMTP sink in its own process that offers
PIPELINING as Postfix does and stamps each acceptance; a rate is the sink's count over the span from its
first to its last acceptance. Reference, same run: a bare smtplib loop over one connection sending the same
bytes (the engine's prepared bytes for those rows) to the same sink. Wall time: the admin API's POST of an
incident for one tenant of 100,000 email subscribers, until the sink accepted the last of them, with the
default deployment's workers: `flask run` with its embedded delivery on SQLite; gunicorn-less `flask run`
plus `celery -A statuspage.tasks worker -B` (default concurrency: one process per core) on PostgreSQL with
Redis db 6 as broker. SMS: 4 Celery worker processes sending through a Messaging Service to the loopback
Twilio double at SMS_RATE_PER_SECOND 100 and 500; the double stamps every arrival. Prints one JSON line.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import smtplib
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import (ROOT, VENV_BIN, api_token, emit, fresh_schema, load_average, make_app, open_incident,  # noqa: E402
                     pg_url, say, seed_subscribers_sql)
from sinks import timed_twilio  # noqa: E402

REDIS = "redis://127.0.0.1:6379/6"
SMS_RATES = (100, 500)
SMS_SECONDS = 20


class FastSink:
    """bench/fast_sink.py in its own process; stop() returns (count, first, last acceptance time)."""

    def __init__(self, pipelining: bool = True):
        argv = [sys.executable, str(ROOT / "bench" / "fast_sink.py")] + ([] if pipelining else ["--no-pipelining"])
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, cwd="/tmp")
        self.port = int(self.proc.stdout.readline().split()[1])

    def stop(self) -> tuple[int, float, float]:
        self.proc.send_signal(signal.SIGTERM)
        out, _ = self.proc.communicate(timeout=30)
        parts = out.split()
        return int(parts[1]), float(parts[3]), float(parts[5])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--emails", type=int, default=None, help="per worker count (default 20,000)")
    parser.add_argument("--wall-emails", type=int, default=None, help="default 100,000")
    parser.add_argument("--claim-rows", type=int, default=None, help="default 3,000")
    parser.add_argument("--workers", default="1,2", help="email worker counts")
    parser.add_argument("--only", choices=("email", "wall", "sms", "claim"))
    parser.add_argument("--database", default="sp_bench_ref")
    args = parser.parse_args()
    emails = args.emails or (5_000 if args.quick else 20_000)
    wall_emails = args.wall_emails or (10_000 if args.quick else 100_000)
    claim_rows = args.claim_rows or (1_000 if args.quick else 3_000)
    url = pg_url(args.database)
    out = {"bench": "delivery", "loadavg_start": load_average()}
    if args.only in (None, "email", "claim", "sms"):
        app = make_app(url)
        fresh_schema(app)
        seed_email_subscribers(app, max(emails, claim_rows, max(SMS_RATES) * SMS_SECONDS) + 10)
        update_id = make_update(app, open_incident(app, [], [], "Withdrawals failing"))
    if args.only in (None, "email"):
        out["email"] = bench_email(app, url, update_id, emails, [int(w) for w in args.workers.split(",")])
    if args.only in (None, "claim"):
        tmp = Path(tempfile.mkdtemp(prefix="statuspage-claim-"))
        lite = make_app(f"sqlite:///{tmp / 'claim.db'}")
        fresh_schema(lite)
        seed_subscribers_sql(lite, claim_rows * 3 // 2 + 3, 5, 10)
        lite_update = make_update(lite, open_incident(lite, [], [], "Withdrawals failing"))
        out["claim_noop"] = {"postgresql": bench_claim(app, update_id, claim_rows),
                             "sqlite": bench_claim(lite, lite_update, claim_rows)}
        say("claim", out["claim_noop"])
    if args.only in (None, "wall"):
        out["wall"] = {"sqlite_embedded": bench_wall_sqlite(wall_emails),
                       "postgresql_celery": bench_wall_celery(url, wall_emails)}
        say("wall", out["wall"])
    if args.only in (None, "sms"):
        out["sms"] = {str(rate): bench_sms(app, url, update_id, rate, rate * SMS_SECONDS) for rate in SMS_RATES}
    out["targets"] = targets(out)
    emit(out)


def seed_email_subscribers(app, n: int, tenant_slug: str = "bench-tenant") -> int:
    """`n` confirmed email subscribers of one tenant (set-based), 1 in 5 reading Chinese; returns the tenant id."""
    from sqlalchemy import text

    from statuspage.extensions import db
    from statuspage.models import Tenant

    with app.app_context():
        tenant = db.session.query(Tenant).filter_by(slug=tenant_slug).one_or_none()
        if tenant is None:
            tenant = Tenant(name="Bench Brokerage", slug=tenant_slug)
            db.session.add(tenant)
            db.session.commit()
        pg = db.engine.dialect.name == "postgresql"
        now = "now()" if pg else "datetime('now')"
        true, false = ("true", "false") if pg else ("1", "0")
        token = "substr(md5(CAST(n AS TEXT)), 1, 24)" if pg else "lower(hex(randomblob(12)))"
        cols = ("channel, address, tenant_id, locale, all_components, confirmed, confirmed_at, opted_out, "
                "test_audience, token, confirm_attempts, source, created_at, updated_at")
        values = (f"'email', 'customer' || n || '@example.com', {tenant.id}, "
                  f"CASE WHEN n % 5 = 0 THEN 'zh_Hans' ELSE 'en' END, {true}, {true}, {now}, {false}, {false}, "
                  f"{token}, 0, 'import', {now}, {now}")
        series = (f"FROM generate_series(1, {n}) AS n" if pg else "FROM s")
        prefix = "" if pg else f"WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {n}) "
        db.session.execute(text(f"{prefix}INSERT INTO subscriber ({cols}) SELECT {values} {series}"))
        db.session.commit()
        if pg:
            db.session.execute(text("ANALYZE subscriber"))
            db.session.commit()
        tid = tenant.id
        db.session.remove()
        return tid


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
        address = "address" if channel == "email" else "'+1415' || lpad(CAST(id AS TEXT), 7, '0')"
        # Email rows go to email subscribers; for SMS the bench turns its (email) subscribers into phones.
        where = "WHERE channel = 'email'" if channel == "email" else ""
        db.session.execute(text(
            "INSERT INTO delivery (kind, update_id, subscriber_id, channel, recipient, status, attempts, "
            f"next_attempt_at, created_at, updated_at) SELECT 'update', :u, id, :ch, {address}, 'queued', 0, "
            f":now, :now, :now FROM subscriber {where} ORDER BY id LIMIT :n"),
            {"u": update_id, "now": now, "ch": channel, "n": n})
        if channel != "email":
            db.session.execute(text(f"UPDATE subscriber SET channel = :ch, address = {address} "
                                    "WHERE id IN (SELECT subscriber_id FROM delivery)"), {"ch": channel})
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


def bench_email(app, url: str, update_id: int, n: int, worker_counts: list[int]) -> dict:
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench", "MAIL_SERVER": "127.0.0.1",
           "EMBEDDED_WORKER": "0", "AUTO_MIGRATE": "0", "PUBLIC_BASE_URL": "http://status.bench",
           "STATUSPAGE_INSTANCE": str(ROOT / "bench" / ".instance")}
    env.pop("CELERY_BROKER_URL", None)
    result = {"messages": n, "sink": "bench/fast_sink.py (PIPELINING offered)", "database": "postgresql"}
    # The machine is shared and its load swings within a minute: each run is compared with a reference
    # measured right before it (ref_n messages), and the table's reference is their mean.
    ref_n = min(n, 5_000)
    refs = []
    runs = {}
    plans = [(str(w), w, True) for w in worker_counts] + [("1_no_pipelining", 1, False)]
    for label, workers, pipelining in plans:
        ref_rate, ref_detail = reference_smtp(app, update_id, ref_n)
        refs.append(ref_rate)
        result.setdefault("reference", ref_detail)
        say("email reference", ref_rate, "msg/s")
        queue_rows(app, update_id, "email", n)
        sink = FastSink(pipelining=pipelining)
        started = time.monotonic()
        procs = [subprocess.Popen([str(VENV_BIN / "flask"), "--app", "wsgi", "deliver", "--drain"],
                                  env={**env, "MAIL_PORT": str(sink.port)}, cwd=ROOT, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True) for _ in range(workers)]
        for proc in procs:
            _, err = proc.communicate()
            if proc.returncode:
                sys.stderr.write(err[-3000:])
        wall = time.monotonic() - started
        count, first, last = sink.stop()
        rate = (count - 1) / (last - first) if count > 1 else 0.0
        runs[label] = {"workers": workers, "pipelining": pipelining, "msgs_per_s": round(rate, 1),
                       "reference_before_msgs_per_s": ref_rate,
                       "per_worker": round(rate / workers, 1), "ratio_per_worker": round(rate / workers / ref_rate, 3),
                       "scaling_vs_1": None, "accepted": count, "wall_seconds_with_startup": round(wall, 1),
                       "outbox": outbox_counts(app), "loadavg": load_average()[0]}
        say("email", label, runs[label])
    base = runs.get("1", {}).get("msgs_per_s")
    base_ref = runs.get("1", {}).get("reference_before_msgs_per_s")
    for r in runs.values():
        r["scaling_vs_1"] = round(r["msgs_per_s"] / base, 2) if base else None
        # The same, each run first divided by its own reference: the load the machine had at the time.
        r["scaling_vs_1_per_reference"] = round(r["msgs_per_s"] / r["reference_before_msgs_per_s"]
                                                / (base / base_ref), 2) if base else None
    result["workers"] = runs
    result["reference_msgs_per_s"] = round(sum(refs) / len(refs), 1)
    return result


def reference_smtp(app, update_id: int, n: int) -> tuple[float, dict]:
    """Messages per second of a bare smtplib loop over one connection sending the engine's bytes for the rows."""
    from statuspage.channels.email import EmailChannel
    from statuspage.delivery.prepared import PreparedEmails
    from statuspage.delivery.worker import EMAIL_ROWS, _d
    from statuspage.extensions import db
    from statuspage.models import Delivery
    from statuspage.notices import delivery_message

    queue_rows(app, update_id, "email", n)
    with app.app_context():
        prepared = PreparedEmails(app, EmailChannel(app))
        rows = db.session.execute(EMAIL_ROWS.order_by(_d.c.id).limit(n)).all()
        messages = []
        full = 0
        for row in rows:
            built = prepared.bytes_for(row)
            if built is None:  # as the engine does: ids of a digit or two collide with other digits in the message
                delivery = db.session.get(Delivery, row.id)
                built = prepared.channel.prepare(delivery, delivery_message(delivery))
                full += 1
            messages.append((row.recipient, built[1]))
        db.session.remove()
    sink = FastSink()
    conn = smtplib.SMTP("127.0.0.1", sink.port)
    started = time.perf_counter()
    for to, raw in messages:
        conn.sendmail("status@localhost", [to], raw)
    elapsed = time.perf_counter() - started
    conn.quit()
    count, first, last = sink.stop()
    return round(len(messages) / elapsed, 1), {"messages": len(messages), "accepted": count,
                                                 "bytes_each": len(messages[0][1]), "seconds": round(elapsed, 2),
                                                 "built_in_full": full}


def _post_incident(base: str, token: str, slug: str) -> float:
    """POST the incident through the admin API; returns time.time() when the request started."""
    body = json.dumps({"name": "CRM withdrawals failing", "status": "identified", "impact": "major",
                       "body": "Withdrawals fail. Call **400-820-8820** or email support@example.com and we "
                               "process them by hand.", "tenant_slugs": [slug], "visibility": "tenants",
                       "deliver_notifications": True}).encode()
    req = urllib.request.Request(f"{base}/api/admin/v1/incidents", data=body, method="POST",
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    posted = time.time()
    with urllib.request.urlopen(req, timeout=120) as resp:
        assert resp.status == 201, resp.status
    return posted


def _wait_http(base: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                return
        except Exception:
            time.sleep(0.3)
    raise RuntimeError(f"{base} did not come up")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wall_run(app, db_url: str, n: int, label: str, extra_env: dict, worker_argv: list[str] | None) -> dict:
    tenant = seed_email_subscribers(app, n)
    token = api_token(app)
    sink = FastSink()
    port = _free_port()
    instance = Path(tempfile.mkdtemp(prefix=f"statuspage-wall-{label}-"))
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "TWILIO_"))},
           "DATABASE_URL": db_url, "SECRET_KEY": "bench", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(sink.port),
           "AUTO_MIGRATE": "0", "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", "STATUSPAGE_INSTANCE": str(instance),
           "RATELIMIT_ENABLED": "0", **extra_env}
    log = open(instance / "web.log", "wb")
    web = subprocess.Popen([str(VENV_BIN / "flask"), "--app", "wsgi", "run", "--port", str(port), "--no-reload"],
                           env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    workers = None
    if worker_argv:
        workers = subprocess.Popen(worker_argv, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_http(f"http://127.0.0.1:{port}")
        time.sleep(3 if workers is None else 8)
        posted = _post_incident(f"http://127.0.0.1:{port}", token, "bench-tenant")
        request_s = time.time() - posted
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            counts = outbox_counts(app)
            if counts and sum(counts.values()) >= n and not (counts.get("queued") or counts.get("sending")):
                break
            time.sleep(1)
    finally:
        count, first, last = sink.stop()
        for proc in (workers, web):
            if proc is not None:
                proc.terminate()
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
        log.close()
    result = {"emails": n, "tenant_id": tenant, "accepted": count, "request_seconds": round(request_s, 2),
              "post_to_last_acceptance_s": round(last - posted, 1), "first_acceptance_after_s": round(first - posted, 1),
              "outbox": outbox_counts(app), "loadavg": load_average()[0]}
    say("wall", label, result)
    return result


def bench_wall_sqlite(n: int) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="statuspage-wall-"))
    url = f"sqlite:///{tmp / 'statuspage.db'}"
    app = make_app(url)
    fresh_schema(app)
    result = _wall_run(app, url, n, "sqlite", {"EMBEDDED_WORKER": "1"}, None)
    result["workers"] = "the embedded default: one delivery process started by the web process"
    result["reference_bare_loop_s"] = None
    return result


def bench_wall_celery(url: str, n: int) -> dict:
    import redis

    redis.Redis.from_url(REDIS).flushdb()
    app = make_app(url)
    fresh_schema(app)
    argv = [str(VENV_BIN / "celery"), "-A", "statuspage.tasks", "worker", "-B", "-l", "warning", "-Q", "statuspage",
            "-s", str(Path(tempfile.mkdtemp()) / "beat-schedule")]
    result = _wall_run(app, url, n, "celery", {"CELERY_BROKER_URL": REDIS, "REDIS_URL": REDIS}, argv)
    result["workers"] = f"celery worker -B, default concurrency ({os.cpu_count()} prefork processes)"
    return result


def bench_sms(app, url: str, update_id: int, rate: int, n: int, processes: int = 4) -> dict:
    import redis

    from statuspage.tasks import init_celery

    redis.Redis.from_url(REDIS).flushdb()
    double = timed_twilio()
    service = {**double.config, "TWILIO_MESSAGING_SERVICE_SID": "MG" + "2" * 32}
    service.pop("TWILIO_FROM", None)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")}, "DATABASE_URL": url,
           "SECRET_KEY": "bench", "CELERY_BROKER_URL": REDIS, "REDIS_URL": REDIS, "SMS_RATE_PER_SECOND": str(rate),
           "AUTO_MIGRATE": "0", "PUBLIC_BASE_URL": "http://status.bench",
           "STATUSPAGE_INSTANCE": str(ROOT / "bench" / ".instance"), **{k: str(v) for k, v in service.items()}}
    worker = subprocess.Popen([str(VENV_BIN / "celery"), "-A", "statuspage.tasks", "worker", "-c", str(processes),
                               "--pool", "prefork", "-l", "warning", "-Q", "statuspage"],
                              env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    result = {"messages": n, "rate_ceiling": rate, "celery_worker_processes": processes, "broker": "redis db 6",
              "sender": "Messaging Service"}
    try:
        time.sleep(8)  # the pool starts; its start-up kick finds an empty outbox
        sms_app = make_app(url, CELERY_BROKER_URL=REDIS, REDIS_URL=REDIS, SMS_RATE_PER_SECOND=rate, **service)
        init_celery(sms_app)
        queue_rows(sms_app, update_id, "sms", n, wake=True)
        deadline = time.monotonic() + n / rate * 3 + 60
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
    forms = [r["form"] for r in double.requests[:50]]
    result["every_request_has"] = {
        "ValidityPeriod": all(f.get("ValidityPeriod") for f in forms),
        "StatusCallback": all("/webhooks/twilio/status" in (f.get("StatusCallback") or "") for f in forms),
        "MessagingServiceSid": all(f.get("MessagingServiceSid") for f in forms)}
    result["outbox"] = outbox_counts(app)
    say("sms", rate, result)
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
            "median_gap_ms": round(gaps[len(gaps) // 2] * 1000, 2), "longest_gap_ms": round(gaps[-1] * 1000, 1),
            "rate_per_s": round((len(arrivals) - 1) / span, 2),
            "max_in_any_sliding_1s_window": worst,
            "max_in_a_clock_second": max(full_seconds) if full_seconds else None,
            "min_in_a_clock_second": min(full_seconds) if full_seconds else None}


def bench_claim(app, update_id: int, n: int) -> dict:
    """Rows per second through claim, re-check and bulk record with a channel that sends nothing."""
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

        def send_bytes(self, recipient, data, delivery_id=None):
            return None

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
        one = email["workers"].get("1")
        if one:
            met["email_per_worker_ge_0.8_bare_loop"] = one["ratio_per_worker"] >= 0.8
        two = email["workers"].get("2")
        if two:
            met["email_2_workers_ge_1.6x_1"] = (two["scaling_vs_1"] or 0) >= 1.6
    for name, run in (out.get("wall") or {}).items():
        met[f"wall_{name}_le_120_s"] = run["accepted"] >= run["emails"] and run["post_to_last_acceptance_s"] <= 120
    for rate, sms in (out.get("sms") or {}).items():
        if "rate_per_s" in sms:
            met[f"sms_{rate}_never_above_ceiling_any_1s"] = sms["max_in_any_sliding_1s_window"] <= int(rate)
            met[f"sms_{rate}_reaches_0.95_ceiling"] = sms["rate_per_s"] >= 0.95 * int(rate)
            met[f"sms_{rate}_all_received"] = sms["received"] == sms["messages"]
    return met


if __name__ == "__main__":
    main()
