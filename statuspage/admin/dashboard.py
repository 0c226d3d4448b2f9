"""The first screen: what is open, what is stale, what is going out."""
from __future__ import annotations

from datetime import timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..models import DELIVERY_STATUSES, Incident, utcnow
from ..models.incident import IMPACTS
from ..services.delivery_log import delivery_counts, list_deliveries, retry_failed_deliveries
from ..services.incidents import list_incidents
from ..services.staleness import stale_incident_ids
from ..services.validation import id_value
from . import bp
from .access import acting, get_or_404, role_required


@bp.get("/")
@role_required("viewer")
def dashboard():
    stale = stale_incident_ids()
    # Stale first (customers are waiting for news), then the worst impact, then the oldest.
    open_incidents = sorted(list_incidents(kind="incident", state="open", limit=None),
                            key=lambda i: (i.id not in stale, -IMPACTS.index(i.impact) if i.impact in IMPACTS else 0,
                                           i.started_at))
    upcoming = list_incidents(kind="maintenance", state="open", order="soonest", limit=None)
    now = utcnow()
    return render_template("admin/dashboard.html", open_incidents=open_incidents, upcoming=upcoming, stale=stale,
                           counts=delivery_counts(now - timedelta(days=1)),
                           last_hour=delivery_counts(now - timedelta(hours=1)), now=now)


@bp.get("/deliveries")
@role_required("viewer")
def deliveries():
    incident_id = id_value(request.args.get("incident_id"))
    status = request.args.get("status")
    status = status if status in DELIVERY_STATUSES else None
    rows = list_deliveries(incident_id=incident_id, status=status, limit=500)
    return render_template("admin/deliveries.html", rows=rows, statuses=DELIVERY_STATUSES, status=status,
                           incident_id=incident_id, counts=delivery_counts())


@bp.post("/incidents/<incident_id>/deliveries/retry")
@role_required("responder")
def incident_retry_failed(incident_id):
    incident = get_or_404(Incident, incident_id)
    n = retry_failed_deliveries(incident.id, actor=acting())
    flash(_("%(n)d failed deliveries queued again.", n=n) if n else _("No failed deliveries to retry."))
    return redirect(url_for("admin.incident_detail", incident_id=incident.id) + "#deliveries")
