"""Scheduled maintenance: plan a window; the worker starts and completes it on time."""
from __future__ import annotations

from zoneinfo import available_timezones

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..models import VISIBILITIES
from ..services import incidents as service
from ..services.catalog import live_components, live_tenants
from ..services.idempotency import AlreadyPosted
from ..services.maintenance import parse_window
from ..services.validation import ValidationError
from . import bp
from .access import acting, checkbox, role_required
from .incident_forms import VISIBILITY_LABELS, FormValues, check_audience, incident_data, new_post_token

COMMON_ZONES = ("UTC", "Asia/Shanghai", "Asia/Hong_Kong", "Asia/Singapore", "Asia/Tokyo", "Europe/London",
                "Europe/Berlin", "America/New_York", "America/Chicago", "America/Los_Angeles", "Australia/Sydney")


def _zones() -> list[str]:
    site = current_app.config.get("SITE_TIME_ZONE", "UTC")
    zones = list(dict.fromkeys((site, *COMMON_ZONES)))
    return [z for z in zones if z in available_timezones()] or ["UTC"]


@bp.get("/maintenance")
@role_required("viewer")
def maintenance_list():
    rows = service.list_incidents(kind="maintenance", order="schedule", limit=200)
    return render_template("admin/maintenance.html", rows=rows)


def _form_page(form, errors, status=200):
    return render_template("admin/maintenance_new.html", form=form, errors=errors, zones=_zones(),
                           components=live_components(), tenants=live_tenants(), visibilities=VISIBILITIES,
                           visibility_labels=VISIBILITY_LABELS), status


@bp.route("/maintenance/new", methods=["GET", "POST"])
@role_required("responder")
def maintenance_new():
    if request.method == "GET":
        return _form_page(FormValues(time_zone=_zones()[0], deliver_notifications="on", notify_on_start="on",
                                     notify_on_complete="on", auto_transition="on", visibility="public",
                                     post_token=new_post_token()), {})
    data = incident_data()
    data["status"] = "scheduled"
    data["impact"] = "none"
    data["components"] = {str(cid): "under_maintenance" for cid in request.form.getlist("component_ids")
                          if cid.isdigit()}
    try:
        check_audience(request.form)
        fields = service.clean_incident(data, kind="maintenance")
        start, end = parse_window(request.form.get("scheduled_for", ""), request.form.get("scheduled_until", ""),
                                  request.form.get("time_zone", "UTC"))
    except ValidationError as exc:
        return _form_page(request.form, exc.errors, 422)
    tenants = fields.pop("tenants")
    try:
        incident = service.create_incident(
            **fields, tenants=tenants, kind="maintenance", actor=acting(), post_token=request.form.get("post_token"),
            scheduled_for=start, scheduled_until=end, notify_on_start=checkbox("notify_on_start"),
            notify_on_complete=checkbox("notify_on_complete"), auto_transition=checkbox("auto_transition"))
    except AlreadyPosted as exc:
        flash(_("Already posted: this form was sent before, so nothing was posted or sent again. "
                "Here is what it posted."), "info")
        return redirect(url_for("admin.incident_detail", incident_id=exc.incident_id) if exc.incident_id
                        else url_for("admin.maintenance_list"))
    flash(_("Maintenance scheduled."), "info")
    return redirect(url_for("admin.incident_detail", incident_id=incident.id))
