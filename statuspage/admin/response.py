"""Admin pages of the incident response: responders and the severity policy; on an incident its team,
internal notes and status checks; on its review the fixed steps and the action items; the monthly report."""
from __future__ import annotations

import io

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..csv_safe import SafeWriter
from ..models import RESPONSE_ROLES, SEVERITIES, ActionItem, Incident, Responder, utcnow
from ..services import incident_response, measures, responders, review
from ..services.validation import ValidationError
from . import bp
from .access import acting, get_or_404, role_required


def response_context(incident: Incident) -> dict:
    """What the incident page shows of the response (nothing for a maintenance)."""
    if incident.kind != "incident":
        return {"response": None}
    return {"response": {
        "team": incident_response.team_of(incident), "roles": RESPONSE_ROLES,
        "role_labels": role_labels(), "responders": responders.list_responders(),
        "timeline": incident_response.timeline(incident),
        "next_check": incident_response.next_check_due(incident),
        "first_notice": incident_response.time_to_first_notice(incident),
        "severities": SEVERITIES}}


def role_labels() -> dict:
    return {"lead": _("Lead"), "technical": _("Technical"), "communications": _("Communications"),
            "customer_service": _("Customer service")}


@bp.post("/incidents/<incident_id>/notes")
@role_required("responder")
def incident_add_note(incident_id):
    incident = get_or_404(Incident, incident_id)
    try:
        if request.form.get("kind") == "check":
            incident_response.record_check(incident, request.form.get("body", ""), actor=acting())
            flash(_("Check recorded."), "info")
        else:
            incident_response.record_note(incident, request.form.get("body", ""), actor=acting())
            flash(_("Note added. Only operators see it."), "info")
    except ValidationError as exc:
        flash("; ".join(exc.errors.values()), "error")
    return redirect(url_for("admin.incident_detail", incident_id=incident.id, _anchor="response"))


@bp.post("/incidents/<incident_id>/team")
@role_required("responder")
def incident_set_team(incident_id):
    incident = get_or_404(Incident, incident_id)
    try:
        incident_response.set_team(incident, {role: request.form.get(role) for role in RESPONSE_ROLES},
                                   actor=acting())
        flash(_("Team saved."), "info")
    except ValidationError as exc:
        flash("; ".join(exc.errors.values()), "error")
    return redirect(url_for("admin.incident_detail", incident_id=incident.id, _anchor="response"))


@bp.get("/responders")
@role_required("viewer")
def responders_page():
    return _page()


def _page(form=None, errors=None, status=200):
    return render_template("admin/responders.html", responders=responders.list_responders(),
                           policy=responders.severity_policy(), severities=SEVERITIES, form=form or {},
                           errors=errors or {}), status


@bp.post("/responders")
@role_required("admin")
def responders_add():
    data = {k: request.form.get(k, "").strip() for k in ("name", "email", "phone", "level")}
    data["test"] = request.form.get("test") == "on"
    if request.form.get("chat_url", "").strip():
        data["chat"] = {"kind": request.form.get("chat_kind", ""), "url": request.form.get("chat_url", "").strip()}
    try:
        responders.create_responder(responders.clean_responder(data), actor=acting())
    except ValidationError as exc:
        return _page(form=request.form, errors=exc.errors, status=422)
    flash(_("Responder added."), "info")
    return redirect(url_for("admin.responders_page"))


@bp.post("/responders/<responder_id>/delete")
@role_required("admin")
def responders_delete(responder_id):
    responders.delete_responder(get_or_404(Responder, responder_id), actor=acting())
    flash(_("Responder moved to the trash."), "info")
    return redirect(url_for("admin.responders_page"))


@bp.post("/severity-policy")
@role_required("admin")
def severity_policy_save():
    policy = {}
    for sev in SEVERITIES:
        levels = [int(n) for n in request.form.get(f"{sev}_page_levels", "").replace(",", " ").split() if n.isdigit()]
        minutes = request.form.get(f"{sev}_check_minutes", "").strip()
        missed = request.form.get(f"{sev}_escalate_after_missed", "").strip()
        policy[sev] = {"page_levels": levels, "check_minutes": int(minutes) if minutes.isdigit() else None,
                       "escalate_after_missed": int(missed) if missed.isdigit() else 2}
    try:
        responders.save_policy(responders.clean_policy(policy), actor=acting())
    except ValidationError as exc:
        return _page(errors=exc.errors, status=422)
    flash(_("Severity policy saved."), "info")
    return redirect(url_for("admin.responders_page"))


def review_context(incident: Incident) -> dict:
    """What the review page shows besides the text: its fixed steps and the action items."""
    return {"review_steps": review.review_steps(), "action_items": review.action_items(incident), "now": utcnow()}


@bp.post("/incidents/<incident_id>/action-items")
@role_required("responder")
def incident_add_action_item(incident_id):
    incident = get_or_404(Incident, incident_id)
    try:
        review.add_action_item(incident, review.clean_action_item(request.form), actor=acting())
        flash(_("Action item added."), "info")
    except ValidationError as exc:
        flash("; ".join(exc.errors.values()), "error")
    return redirect(url_for("admin.incident_postmortem", incident_id=incident.id, _anchor="action-items"))


@bp.post("/action-items/<item_id>/done")
@role_required("responder")
def action_item_done(item_id):
    item = get_or_404(ActionItem, item_id)
    review.mark_done(item, request.form.get("done") != "0", actor=acting())
    return redirect(url_for("admin.incident_postmortem", incident_id=item.incident_id, _anchor="action-items"))


@bp.get("/reports")
@role_required("viewer")
def incident_report():
    month = _month()
    return render_template("admin/report.html", report=measures.monthly_report(month), month=month)


@bp.get("/reports.csv")
@role_required("viewer")
def incident_report_csv():
    month = _month()
    report = measures.monthly_report(month)
    out = io.StringIO()
    writer = SafeWriter(out)
    writer.writerow(["month", "severity", "incidents", *measures.MEASURES, "checks_on_time"])
    for row in report["rows"]:
        writer.writerow([month, row["severity"], row["incidents"], *(row[k] for k in measures.MEASURES),
                         row["checks_on_time"]])
    return Response(out.getvalue(), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="incidents-{month}.csv"'})


def _month() -> str:
    month = request.args.get("month") or utcnow().strftime("%Y-%m")
    try:
        measures.month_bounds(month)
    except ValueError:
        abort(400)
    return month
