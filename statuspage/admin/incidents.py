"""Incidents: list, open (from a playbook), preview, post updates, publish drafts, postmortems."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..models import CLOSED_STATUSES, COMPONENT_STATUSES, IMPACTS, VISIBILITIES, Incident, Playbook, utcnow
from ..services import incidents as service
from ..services import lookup
from ..services.audience import AudienceSummary, audience_summary
from ..services.catalog import live_components, live_tenants
from ..services.delivery_log import incident_deliveries
from ..services.idempotency import AlreadyPosted
from ..services.playbooks import PLACEHOLDER_LABELS, PLACEHOLDERS, live_templates, placeholders_used
from ..services.previews import build_preview, send_test
from ..services.review import review_outline
from ..services.staleness import stale_incident_ids
from ..services.validation import ValidationError
from ..templating import IMPACT_LABELS, INCIDENT_STATUS_LABELS
from . import bp
from .access import acting, get_or_404, require_role, role_required
from .incident_forms import (
    VISIBILITY_LABELS, FormValues, apply_playbook, audience_of, check_audience, incident_data, incident_form_values,
    new_post_token, update_data)
from .response import response_context, review_context


def _choices(kind: str = "incident") -> dict:
    return {"components": live_components(), "tenants": live_tenants(), "impacts": IMPACTS,
            "statuses": service.statuses_for(kind), "impact_labels": IMPACT_LABELS,
            "status_labels": INCIDENT_STATUS_LABELS, "visibility_labels": VISIBILITY_LABELS,
            "visibilities": VISIBILITIES, "component_statuses": COMPONENT_STATUSES, "templates": live_templates(),
            "placeholders": PLACEHOLDERS, "placeholder_labels": PLACEHOLDER_LABELS}


@bp.get("/incidents")
@role_required("viewer")
def incident_list():
    state = request.args.get("state", "open")
    rows = service.list_incidents(kind="incident", state=state if state in ("open", "closed") else None, limit=200)
    return render_template("admin/incidents.html", incidents=rows, state=state, stale=stale_incident_ids())


@bp.route("/incidents/new", methods=["GET", "POST"])
@role_required("viewer")
def incident_new():
    if request.method == "GET":
        form = FormValues(impact="minor", status="investigating", deliver_notifications="on",
                          post_token=new_post_token())
        template = lookup.find(Playbook, request.args.get("template"))
        if template is None:
            return _new_page(form)
        form, errors = apply_playbook(template, FormValues(form, **_typed_placeholders(request.args)),
                                      now=utcnow(), zone=_site_zone())
        return _new_page(form, errors, template=template, status=422 if errors else 200)
    require_role("responder")
    # Only the Post button posts: a form sent any other way (a script, Enter in a field) is previewed.
    action = request.form.get("action", "preview")
    typed = incident_form_values(request.form)
    typed.setdefault("post_token", new_post_token())
    if action == "apply":
        template = lookup.find(Playbook, request.form.get("template"))
        if template is None:
            return _new_page(typed, {"template": _("Choose a playbook first.")}, status=422)
        form, errors = apply_playbook(template, typed, now=utcnow(), zone=_site_zone())
        return _new_page(form, errors, template=template, status=422 if errors else 200)
    try:
        check_audience(request.form)
        fields = service.clean_incident(incident_data())
    except ValidationError as exc:
        return _new_page(typed, exc.errors, status=422)
    if action in ("preview", "test"):
        summary = audience_summary(fields)
        preview = build_preview(fields)
        if action == "test":
            _send_test(preview, None)
        return _new_page(typed, preview=preview, summary=summary)
    tenants = fields.pop("tenants")
    try:
        incident = service.create_incident(**fields, tenants=tenants, actor=acting(),
                                           post_token=request.form.get("post_token"))
    except AlreadyPosted as exc:
        return _already_posted(exc.incident_id)
    flash(_("Incident opened.") if not incident.draft else _("Draft saved. Nothing was published or sent."), "info")
    return redirect(url_for("admin.incident_detail", incident_id=incident.id))


def _new_page(form, errors=None, *, template=None, preview=None, summary=None, status=200):
    if summary is None and not errors:
        summary = _summary_of(form)
    chosen = template or lookup.find(Playbook, form.get("template"))
    return render_template("admin/incident_new.html", form=form, errors=errors or {}, preview=preview,
                           chosen_template=chosen, summary=summary,
                           required_placeholders=_required_placeholders(chosen), **_choices()), status


def _summary_of(form) -> AudienceSummary | None:
    """The one-line audience summary for what the form holds, once the audience is chosen."""
    if audience_of(form) is None:
        return None
    data = incident_data(form)
    try:
        check_audience(form)
        fields = {"visibility": data["visibility"], "draft": data["draft"],
                  "deliver_notifications": data["deliver_notifications"],
                  "tenants": service.tenants_by_slug(data["tenant_slugs"]),
                  "components": service.clean_component_statuses(data)}
    except ValidationError:
        return None
    return audience_summary(fields)


def _required_placeholders(template) -> set:
    if template is None:
        return set()
    return set(placeholders_used(template)) - set(template.optional_placeholders or [])


def _typed_placeholders(args) -> dict:
    return {k: args.get(k, "") for k in PLACEHOLDERS if args.get(k)}


def _site_zone() -> str:
    return current_app.config.get("SITE_TIME_ZONE") or "UTC"


def _already_posted(incident_id) -> object:
    """A resubmitted form (Back + Post, a second tab, a double click, a retry): show what it posted."""
    flash(_("Already posted: this form was sent before, so nothing was posted or sent again. "
            "Here is what it posted."), "info")
    if incident_id is None:
        return redirect(url_for("admin.incident_list"))
    return redirect(url_for("admin.incident_detail", incident_id=incident_id))


def _send_test(preview: dict, incident_id) -> None:
    actor = acting()
    if send_test(preview, incident_id, actor=actor):
        flash(_("A test email is on its way to %(email)s. Nobody else gets it.", email=actor.name), "info")
    else:
        flash(_("Sending a test is not available yet: the notice renderer is not installed."), "error")


def _detail(incident, errors=None, preview=None, form=None, conflicts=None, status=200):
    return render_template("admin/incident_detail.html", incident=incident, errors=errors or {}, preview=preview,
                           form=form or _update_form_defaults(incident),
                           conflicts=conflicts, stale=incident.id in stale_incident_ids(),
                           deliveries=incident_deliveries(incident.id),
                           **response_context(incident), **_choices(incident.kind)), status


def _update_form_defaults(incident) -> FormValues:
    """The update form starts from where the incident is: its status and each affected component's status."""
    form = FormValues(status=incident.status, deliver_notifications="on", post_token=new_post_token())
    form.update({f"component_{a.component_id}": a.status for a in incident.affected})
    return form


@bp.get("/incidents/<incident_id>")
@role_required("viewer")
def incident_detail(incident_id):
    return _detail(get_or_404(Incident, incident_id))


@bp.post("/incidents/<incident_id>/updates")
@role_required("responder")
def incident_post_update(incident_id):
    incident = get_or_404(Incident, incident_id)
    # Only the Post button posts: a form sent any other way (a script, Enter in a field) is previewed.
    action = request.form.get("action", "preview")
    try:
        fields = service.clean_update(update_data(), incident)
    except ValidationError as exc:
        return _detail(incident, errors=exc.errors, form=request.form, status=422)
    conflicts = service.resolution_conflicts(incident) if fields["status"] in CLOSED_STATUSES else []
    if action in ("preview", "test"):
        preview = build_preview(fields, incident=incident)
        if action == "test":
            _send_test(preview, incident.id)
        return _detail(incident, preview=preview, form=request.form, conflicts=conflicts)
    if conflicts and request.form.get("confirm_resolve") != "on":
        return _detail(incident, form=request.form, conflicts=conflicts, errors={
            "confirm_resolve": _("Other open incidents still affect some of these components. Tick the box to "
                                 "resolve anyway; those components keep the worst status of the other incidents.")},
            status=409)
    try:
        service.post_update(incident, fields["status"], fields["body"], fields["components"],
                            fields["deliver_notifications"], body_translations=fields["body_translations"],
                            actor=acting(), post_token=request.form.get("post_token"))
    except AlreadyPosted as exc:
        return _already_posted(exc.incident_id)
    flash(_("Update posted."), "info")
    return redirect(url_for("admin.incident_detail", incident_id=incident.id))


@bp.post("/incidents/<incident_id>/edit")
@role_required("responder")
def incident_edit(incident_id):
    incident = get_or_404(Incident, incident_id)
    data = {k: v for k, v in incident_data().items()
            if k in ("name", "name_translations", "impact", "visibility", "tenant_slugs")}
    if incident.kind == "incident" and request.form.get("severity"):
        data.update(severity=request.form["severity"], severity_reason=request.form.get("severity_reason", ""))
    try:
        service.update_incident(incident, service.clean_incident(data, kind=incident.kind, partial=True),
                                actor=acting())
    except ValidationError as exc:
        return _detail(incident, errors=exc.errors, status=422)
    flash(_("Saved."), "info")
    return redirect(url_for("admin.incident_detail", incident_id=incident.id))


@bp.post("/incidents/<incident_id>/publish")
@role_required("responder")
def incident_publish(incident_id):
    incident = get_or_404(Incident, incident_id)
    if incident.draft:
        service.update_incident(incident, {"draft": False}, actor=acting())
        flash(_("Published. Its notice goes out now if notifications were on."), "info")
    return redirect(url_for("admin.incident_detail", incident_id=incident.id))


@bp.post("/incidents/<incident_id>/test")
@role_required("responder")
def incident_send_test(incident_id):
    incident = get_or_404(Incident, incident_id)
    latest = incident.updates[0] if incident.updates else None
    _send_test(build_preview({}, incident=incident, update=latest), incident.id)
    return redirect(url_for("admin.incident_detail", incident_id=incident.id))


@bp.post("/incidents/<incident_id>/delete")
@role_required("responder")
def incident_delete(incident_id):
    incident = get_or_404(Incident, incident_id)
    service.delete_incident(incident, actor=acting())
    flash(_("Moved to the trash. You can restore it from there."), "info")
    return redirect(url_for("admin.incident_list" if incident.kind == "incident" else "admin.maintenance_list"))


@bp.route("/incidents/<incident_id>/postmortem", methods=["GET", "POST"])
@role_required("viewer")
def incident_postmortem(incident_id):
    incident = get_or_404(Incident, incident_id)
    if request.method == "POST":
        require_role("responder")
        body = (request.form.get("postmortem_body") or "").strip()
        if len(body) > 50000:
            return render_template("admin/postmortem.html", incident=incident, body=body[:50000],
                                   errors={"postmortem_body": _("Must be at most %(n)d characters.", n=50000)},
                                   **review_context(incident)), 422
        action = request.form.get("action")
        service.save_postmortem(incident, body, publish={"publish": True, "unpublish": False}.get(action),
                                actor=acting())
        flash(_("Postmortem published.") if incident.postmortem_published_at else _("Postmortem saved as a draft."),
              "info")
        return redirect(url_for("admin.incident_postmortem", incident_id=incident.id))
    body = incident.postmortem_body or review_outline()
    return render_template("admin/postmortem.html", incident=incident, body=body, errors={},
                           **review_context(incident))
