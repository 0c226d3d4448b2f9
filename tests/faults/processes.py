"""Start the product's own processes (web server, `flask deliver`, Celery workers) against the test database."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LEASE = 3


def process_env(app, tmp_path, name: str, smtp=None, twilio=None, broker: str | None = None, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "TWILIO_", "MAIL_"))}
    instance = tmp_path / f"instance-{name}"
    instance.mkdir(exist_ok=True)
    env.update({
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "STATUSPAGE_INSTANCE": str(instance),
        "SECRET_KEY": "test-secret",
        "PUBLIC_BASE_URL": "http://status.test",
        "MAIL_DEFAULT_SENDER": "status@status.test",
        "AUTO_MIGRATE": "0",
        "EMBEDDED_WORKER": "0",
        "DELIVERY_LEASE_SECONDS": str(LEASE),
        "DELIVERY_RETRY_BASE_SECONDS": "0.5",
        "DELIVERY_RETRY_MAX_SECONDS": "1",
    })
    if smtp is not None:
        env.update({"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp.port)})
    if twilio is not None:
        env.update({k: str(v) for k, v in twilio.config.items()})
    if broker:
        env["CELERY_BROKER_URL"] = broker
    env.update({k: str(v) for k, v in extra.items()})
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def flask(env, *args, log=None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env,
                            stdout=log or subprocess.DEVNULL, stderr=subprocess.STDOUT)


def celery_worker(env, name: str, log=None, kick_on_start: bool = True) -> subprocess.Popen:
    """A solo-pool worker; without `kick_on_start` it only works when a task arrives (the sweeper test)."""
    argv = ["worker", "--pool=solo", "--loglevel=INFO", "-n", f"{name}@%h", "--without-gossip", "--without-mingle",
            "--without-heartbeat", "-Q", "statuspage"]
    code = ("import sys\nfrom celery.signals import worker_ready\nfrom statuspage import tasks\n"
            + ("" if kick_on_start else "worker_ready.disconnect(tasks._kick_on_start)\n")
            + f"tasks.celery.worker_main({argv!r})\n")
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env,
                            stdout=log or subprocess.DEVNULL, stderr=subprocess.STDOUT)


def stop(*procs) -> None:
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)
