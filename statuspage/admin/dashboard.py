"""The first screen: what is open, what is stale, what is going out."""
from __future__ import annotations

from datetime import timedelta

from flask import render_template, request

from ..models import DELIVERY_STATUSES, utcnow
from ..services.delivery_log import delivery_counts, list_deliveries
from ..services.incidents import list_incidents
from ..services.staleness import stale_incident_ids
from ..services.validation import id_value
from . import bp
from .access import role_required


@bp.get("/")
@role_required("viewer")
def dashboard():
    open_incidents = list_incidents(kind="incident", state="open", limit=None)
    upcoming = list_incidents(kind="maintenance", state="open", order="soonest", limit=None)
    return render_template("admin/dashboard.html", open_incidents=open_incidents, upcoming=upcoming,
                           stale=stale_incident_ids(), counts=delivery_counts(utcnow() - timedelta(days=1)))


@bp.get("/deliveries")
@role_required("viewer")
def deliveries():
    incident_id = id_value(request.args.get("incident_id"))
    status = request.args.get("status")
    status = status if status in DELIVERY_STATUSES else None
    rows = list_deliveries(incident_id=incident_id, status=status, limit=500)
    return render_template("admin/deliveries.html", rows=rows, statuses=DELIVERY_STATUSES, status=status,
                           incident_id=incident_id, counts=delivery_counts())
