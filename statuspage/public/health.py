"""Liveness, readiness and Prometheus metrics."""
from __future__ import annotations

import hmac
import time
from importlib.metadata import version

from flask import Blueprint, Response, current_app, g, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from ..services import health

bp = Blueprint("health", __name__)

# One registry per process, shared by every app the process builds (tests build many).
REGISTRY = CollectorRegistry(auto_describe=True)
REQUESTS = Counter("statuspage_http_requests", "HTTP requests answered", ["endpoint", "method", "status"],
                   registry=REGISTRY)
LATENCY = Histogram("statuspage_http_request_duration_seconds", "Time to answer a request", ["endpoint"],
                    registry=REGISTRY, buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))
OUTBOX = Gauge("statuspage_outbox_deliveries",
               "Delivery rows by status (logged: log mode, kept but not sent; only sent and delivered reached "
               "a provider)", ["status"], registry=REGISTRY)
DELIVERY_RATE = Gauge("statuspage_delivery_rate_per_second",
                      "Rows finished per second over the last minute, by channel and outcome (sent, failed, ...)",
                      ["channel", "status"], registry=REGISTRY)
OUTBOX_LAG = Gauge("statuspage_outbox_oldest_due_age_seconds",
                   "How long the oldest row that is due has waited since it became due (0 when none waits)",
                   registry=REGISTRY)
SITE_VERSION = Gauge("statuspage_site_version", "Version of the public data (bumped on every public change)",
                     registry=REGISTRY)
BUILD = Gauge("statuspage_build_info", "Software version", ["version"], registry=REGISTRY)


def software_version() -> str:
    try:
        return version("statuspage")
    except Exception:
        return "0.1.0"


@bp.before_app_request
def _start_timer() -> None:
    g._request_started = time.perf_counter()


@bp.after_app_request
def _count(resp):
    started = g.pop("_request_started", None)
    endpoint = request.endpoint or "unmatched"
    REQUESTS.labels(endpoint, request.method, str(resp.status_code)).inc()
    if started is not None:
        LATENCY.labels(endpoint).observe(time.perf_counter() - started)
    return resp


@bp.get("/healthz")
def healthz():
    """Alive: answers without touching the database."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz():
    """Ready: the database answers and its schema is at the migrations' head."""
    try:
        current = health.database_revision()
    except Exception as exc:
        current_app.logger.warning("readiness: database unreachable: %s", exc)
        return _not_ready("database_unreachable", f"The database cannot be reached ({exc.__class__.__name__}).")
    heads = health.migration_heads(current_app.extensions["migrate"].directory)
    if current != heads:
        return _not_ready("migrations_pending",
                          f"The database schema is at {', '.join(current) or 'nothing'}; the code expects "
                          f"{', '.join(heads)}. Run `flask --app wsgi db upgrade`.")
    return jsonify({"status": "ready", "revision": ", ".join(current)})


def _not_ready(code: str, reason: str):
    resp = jsonify({"status": "unavailable", "error": {"code": code, "message": reason}})
    resp.status_code = 503
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/metrics")
def metrics():
    wanted = current_app.config.get("METRICS_TOKEN")
    if wanted and not hmac.compare_digest(request.headers.get("Authorization", "").encode(),
                                          f"Bearer {wanted}".encode()):
        return Response("Send 'Authorization: Bearer <METRICS_TOKEN>'.\n", 401, mimetype="text/plain",
                        headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    BUILD.labels(software_version()).set(1)
    try:
        for status, n in health.outbox_counts().items():
            OUTBOX.labels(status).set(n)
        SITE_VERSION.set(health.site_version())
        lag, rates = health.delivery_lag_and_rates()
        OUTBOX_LAG.set(lag)
        DELIVERY_RATE.clear()
        for (channel, status), rate in rates.items():
            DELIVERY_RATE.labels(channel, status).set(rate)
    except Exception:  # metrics must still answer while the database is down
        health.forget()
        current_app.logger.warning("metrics: database unavailable", exc_info=True)
    return Response(generate_latest(REGISTRY), mimetype=CONTENT_TYPE_LATEST)
