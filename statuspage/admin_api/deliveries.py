"""The delivery log: one row per (update, subscriber, channel)."""
from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import DELIVERY_STATUSES, Delivery, IncidentUpdate
from ..services.snapshots import delivery_dict
from ..services.validation import choice, id_value
from . import bp
from .common import ApiError, require_role
from .helpers import list_limit


@bp.get("/deliveries")
@require_role("viewer")
def deliveries_list():
    query = select(Delivery).options(selectinload(Delivery.update)).order_by(Delivery.id.desc()).limit(list_limit(100, 5000))
    if request.args.get("incident_id"):
        incident_id = id_value(request.args["incident_id"])
        if incident_id is None:
            raise ApiError(400, "bad_request", _("%(name)s must be a positive whole number.", name="incident_id"))
        query = query.join(IncidentUpdate, IncidentUpdate.id == Delivery.update_id).where(
            IncidentUpdate.incident_id == incident_id)
    if request.args.get("status"):
        query = query.where(Delivery.status == choice(request.args, "status", DELIVERY_STATUSES))
    return jsonify([delivery_dict(d) for d in db.session.scalars(query)])
