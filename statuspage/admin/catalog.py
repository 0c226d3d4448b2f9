"""Components, groups and tenants; bulk edits show the count and want it typed back."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..models import COMPONENT_STATUSES, Component, ComponentGroup, Tenant
from ..services import catalog as service
from ..services.trash import delete_confirmed, dependents, soft_delete
from ..services.validation import ValidationError
from ..templating import COMPONENT_STATUS_LABELS
from . import bp
from .access import acting, checkbox, flash_errors, form_ids, get_or_404, require_role, role_required
from .incident_forms import FormValues


def _components_page(errors=None, form=None, status=200):
    return render_template("admin/components.html", components=service.live_components(),
                           groups=service.live_groups(), statuses=COMPONENT_STATUSES, errors=errors or {},
                           form=form or FormValues(), bulk=None, status_labels=COMPONENT_STATUS_LABELS), status


@bp.get("/components")
@role_required("viewer")
def components():
    return _components_page()


def _component_data() -> dict:
    return {"name": request.form.get("name", ""), "description": request.form.get("description", ""),
            "status": request.form.get("status", "operational"), "group": request.form.get("group", ""),
            "show_uptime": checkbox("show_uptime")}


@bp.post("/components")
@role_required("admin")
def component_create():
    try:
        service.save_component(service.clean_component(_component_data()), actor=acting())
    except ValidationError as exc:
        return _components_page(exc.errors, request.form, 422)
    flash(_("Component added."), "info")
    return redirect(url_for("admin.components"))


@bp.route("/components/<component_id>", methods=["GET", "POST"])
@role_required("viewer")
def component_edit(component_id):
    component = get_or_404(Component, component_id)
    errors = {}
    if request.method == "POST":
        action = request.form.get("action", "save")
        require_role("responder" if action == "status" else "admin")
        try:
            if action == "delete":
                return redirect(url_for("admin.component_delete", component_id=component.id))
            if action in ("up", "down"):
                service.move_component(component, -1 if action == "up" else 1, actor=acting())
                return redirect(url_for("admin.components"))
            if action == "status":
                service.save_component(service.clean_component({"status": request.form.get("status")}, partial=True),
                                       component, actor=acting())
            else:
                service.save_component(service.clean_component(_component_data()), component, actor=acting())
            flash(_("Saved."), "info")
            return redirect(url_for("admin.components"))
        except ValidationError as exc:
            errors = exc.errors
    form = FormValues(name=component.name, description=component.description, status=component.status,
                      group=component.group.name if component.group else "",
                      show_uptime="on" if component.show_uptime else "")
    return render_template("admin/component_form.html", component=component, form=form, errors=errors,
                           statuses=COMPONENT_STATUSES, groups=service.live_groups(),
                           status_labels=COMPONENT_STATUS_LABELS), \
        422 if errors else 200


@bp.post("/components/bulk")
@role_required("admin")
def components_bulk():
    """First post: show how many records the action touches. Second post: apply once the count is typed."""
    ids = form_ids("component_ids")
    action = request.form.get("bulk_action", "")
    status = request.form.get("status", "")
    chosen = [c for c in service.live_components() if c.id in ids]
    if not chosen or action not in ("status", "delete") or (action == "status" and status not in COMPONENT_STATUSES):
        flash(_("Choose components and an action first."), "error")
        return redirect(url_for("admin.components"))
    typed = (request.form.get("confirm") or "").strip()
    if typed != str(len(chosen)):
        bulk = {"components": chosen, "action": action, "status": status, "count": len(chosen),
                "wrong": bool(typed)}
        return render_template("admin/components.html", components=service.live_components(),
                               groups=service.live_groups(),
                               statuses=COMPONENT_STATUSES, errors={}, form=FormValues(), bulk=bulk,
                               status_labels=COMPONENT_STATUS_LABELS), \
            422 if typed else 200
    ids = [c.id for c in chosen]
    if action == "delete":
        count = service.bulk_delete(ids, actor=acting())
    else:
        count = service.bulk_set_status(ids, status, actor=acting())
    flash(_("%(n)d components changed.", n=count), "info")
    return redirect(url_for("admin.components"))


@bp.post("/groups")
@role_required("admin")
def group_save():
    group = get_or_404(ComponentGroup, request.form.get("group_id")) if request.form.get("group_id") else None
    if group is not None and request.form.get("action") == "delete":
        soft_delete("group", group, actor=acting())
        flash(_("Group moved to the trash."), "info")
        return redirect(url_for("admin.components"))
    name = (request.form.get("name") or "").strip()
    if not name or len(name) > 200:
        flash(_("A group needs a name (at most 200 characters)."), "error")
        return redirect(url_for("admin.components"))
    service.save_group(name, (request.form.get("description") or "")[:2000], group, actor=acting())
    flash(_("Saved."), "info")
    return redirect(url_for("admin.components"))


def _tenant_data() -> dict:
    return {"name": request.form.get("name", ""), "slug": request.form.get("slug", ""),
            "private": checkbox("private"), "description": request.form.get("description", "")}


@bp.get("/tenants")
@role_required("viewer")
def tenants():
    return render_template("admin/tenants.html", tenants=service.live_tenants(), errors={}, form=FormValues(),
                           access_url=service.tenant_access_url)


@bp.post("/tenants")
@role_required("admin")
def tenant_create():
    try:
        service.save_tenant(service.clean_tenant(_tenant_data()), actor=acting())
    except ValidationError as exc:
        return render_template("admin/tenants.html", tenants=service.live_tenants(), errors=exc.errors,
                               form=request.form, access_url=service.tenant_access_url), 422
    flash(_("Tenant added."), "info")
    return redirect(url_for("admin.tenants"))


@bp.post("/tenants/<tenant_id>")
@role_required("admin")
def tenant_update(tenant_id):
    tenant = get_or_404(Tenant, tenant_id)
    action = request.form.get("action", "save")
    try:
        if action == "delete":
            return redirect(url_for("admin.tenant_delete", tenant_id=tenant.id))
        if action == "rotate":
            service.rotate_tenant_access(tenant, actor=acting())
            flash(_("New access link made. The old link no longer works."), "info")
        else:
            service.save_tenant(service.clean_tenant(_tenant_data()), tenant, actor=acting())
            flash(_("Saved."), "info")
    except ValidationError as exc:
        flash_errors(exc)
    return redirect(url_for("admin.tenants"))


def _confirm_delete(kind: str, obj, back: str):
    """GET: what deleting touches, and a box for the typed name. POST: delete once the name matches."""
    errors = {}
    if request.method == "POST":
        try:
            delete_confirmed(kind, obj, request.form.get("confirm", ""), override=checkbox("override"),
                             actor=acting())
        except ValidationError as exc:
            errors = exc.errors
        else:
            flash(_("“%(name)s” moved to the trash; restore it from there.", name=obj.name), "info")
            return redirect(url_for(back))
    return render_template("admin/confirm_delete.html", kind=kind, obj=obj, deps=dependents(kind, obj),
                           errors=errors, back=back), 422 if errors else 200


@bp.route("/tenants/<tenant_id>/delete", methods=["GET", "POST"])
@role_required("admin")
def tenant_delete(tenant_id):
    return _confirm_delete("tenant", get_or_404(Tenant, tenant_id), "admin.tenants")


@bp.route("/components/<component_id>/delete", methods=["GET", "POST"])
@role_required("admin")
def component_delete(component_id):
    return _confirm_delete("component", get_or_404(Component, component_id), "admin.components")
