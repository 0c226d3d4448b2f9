"""Inbound monitoring: `POST /integrations/<secret>` takes Alertmanager, Grafana or generic JSON alerts.

One module per kind turns its tool's payload into an AlertBatch
(services.alerts); the view answers 404 for an unknown secret, 413 for a
body over INTEGRATION_MAX_BODY, 400 with a JSON error for a payload its kind
does not read (nothing is applied), and 200 with what was done.
"""
from __future__ import annotations

import json

from flask import Blueprint, current_app, jsonify, request

from ..services import alerts, integrations
from . import alertmanager, grafana, webhook

bp = Blueprint("integrations", __name__)

PARSERS = {"alertmanager": alertmanager.parse, "grafana": grafana.parse, "webhook": webhook.parse}
DEFAULT_MAX_BODY = 1024 * 1024


def _error(status: int, code: str, message: str):
    resp = jsonify({"error": {"code": code, "message": message}})
    resp.status_code = status
    return resp


@bp.post("/integrations/<secret>")
def receive(secret: str):
    integration = integrations.find_by_secret(secret)
    if integration is None:
        return _error(404, "not_found", "No integration at this URL.")
    limit = int(current_app.config.get("INTEGRATION_MAX_BODY", DEFAULT_MAX_BODY))
    if request.content_length is not None and request.content_length > limit:
        return _error(413, "too_large", f"The body must be at most {limit} bytes.")
    raw = request.stream.read(limit + 1)
    if len(raw) > limit:
        return _error(413, "too_large", f"The body must be at most {limit} bytes.")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return _error(400, "bad_payload", "The body must be JSON (UTF-8).")
    try:
        batch = PARSERS[integration.kind](data)
    except alerts.PayloadInvalid as exc:
        return _error(400, "bad_payload", exc.message)
    outcome = alerts.receive(integration.id, batch, actor=alerts.integration_actor(integration))
    return jsonify(outcome.as_dict())
