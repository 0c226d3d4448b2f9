"""The first screen: what is open, what is stale, what is going out."""
from __future__ import annotations

from datetime import timedelta

from flask import render_template, request
from sqlalchemy import func, select

from ..extensions import db
from ..models import CLOSED_STATUSES, DELIVERY_STATUSES, Delivery, Incident, IncidentUpdate, utcnow
from ..services.staleness import stale_incident_ids
from ..services.validation import id_value
from . import bp
from .access import role_required


def delivery_counts(since=None) -> dict:
    query = select(Delivery.status, func.count()).group_by(Delivery.status)
    if since is not None:
        query = query.where(Delivery.created_at >= since)
    counts = dict.fromkeys(DELIVERY_STATUSES, 0)
    counts.update(dict(db.session.execute(query).all()))
    return counts


@bp.get("/")
@role_required("viewer")
def dashboard():
    live = select(Incident).where(Incident.deleted_at.is_(None))
    open_incidents = db.session.scalars(live.where(Incident.kind == "incident",
                                                   Incident.status.not_in(CLOSED_STATUSES))
                                        .order_by(Incident.started_at.desc())).all()
    upcoming = db.session.scalars(live.where(Incident.kind == "maintenance", Incident.status.not_in(CLOSED_STATUSES))
                                  .order_by(Incident.scheduled_for)).all()
    return render_template("admin/dashboard.html", open_incidents=open_incidents, upcoming=upcoming,
                           stale=stale_incident_ids(), counts=delivery_counts(utcnow() - timedelta(days=1)))


@bp.get("/deliveries")
@role_required("viewer")
def deliveries():
    query = select(Delivery).order_by(Delivery.id.desc())
    incident_id = id_value(request.args.get("incident_id"))
    status = request.args.get("status")
    if incident_id:
        query = query.join(IncidentUpdate, IncidentUpdate.id == Delivery.update_id).where(
            IncidentUpdate.incident_id == incident_id)
    if status in DELIVERY_STATUSES:
        query = query.where(Delivery.status == status)
    rows = db.session.scalars(query.limit(500)).all()
    return render_template("admin/deliveries.html", rows=rows, statuses=DELIVERY_STATUSES, status=status,
                           incident_id=incident_id, counts=delivery_counts())
