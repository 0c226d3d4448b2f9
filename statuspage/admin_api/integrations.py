"""Admin API: inbound monitoring integrations (`/api/admin/v1/integrations`)."""
from __future__ import annotations

from flask import jsonify, request

from ..models import Integration
from ..services import integrations
from . import bp
from .common import ApiError, api_actor, json_body, require_role
from .helpers import get_or_404


@bp.get("/integrations")
@require_role("viewer")
def list_integrations():
    include_deleted = request.args.get("deleted") in ("1", "true")
    return jsonify([integrations.snapshot(i) for i in integrations.list_integrations(include_deleted)])


@bp.get("/integrations/<int:integration_id>")
@require_role("viewer")
def get_integration(integration_id: int):
    return jsonify(integrations.snapshot(get_or_404(Integration, integration_id, live=False, what="integration")))


@bp.post("/integrations")
@require_role("admin")
def create_integration():
    try:
        integration, url = integrations.create_integration(json_body(), actor=api_actor())
    except integrations.IntegrationInvalid as exc:
        raise ApiError(422, "invalid", f"{exc.field}: {exc.message}", {exc.field: exc.message}) from None
    # The secret URL, this once: only its hash is kept.
    return jsonify({**integrations.snapshot(integration), "url": url}), 201


@bp.delete("/integrations/<int:integration_id>")
@require_role("admin")
def delete_integration(integration_id: int):
    integration = get_or_404(Integration, integration_id, live=False, what="integration")
    integrations.delete_integration(integration, actor=api_actor())
    return jsonify(integrations.snapshot(integration))
