"""The delivery log: one row per (update, subscriber, channel)."""
from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _

from ..models import DELIVERY_STATUSES
from ..services.delivery_log import list_deliveries
from ..services.snapshots import delivery_dict
from ..services.validation import choice, id_value
from . import bp
from .common import ApiError, require_role
from .helpers import error_for_reader, list_limit


@bp.get("/deliveries")
@require_role("viewer")
def deliveries_list():
    incident_id = None
    if request.args.get("incident_id"):
        incident_id = id_value(request.args["incident_id"])
        if incident_id is None:
            raise ApiError(400, "bad_request", _("%(name)s must be a positive whole number.", name="incident_id"))
    status = choice(request.args, "status", DELIVERY_STATUSES) if request.args.get("status") else None
    rows = list_deliveries(incident_id=incident_id, status=status, limit=list_limit(100, 5000))
    return jsonify([{**delivery_dict(d), "last_error": error_for_reader(d.last_error)} for d in rows])
