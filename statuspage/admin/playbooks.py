"""Playbooks (notice templates) with placeholders and per-locale text."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..models import IMPACTS, INCIDENT_STATUSES, Playbook
from ..services import playbooks as service
from ..services.catalog import live_components
from ..services.trash import soft_delete
from ..services.validation import ValidationError
from . import bp
from .access import acting, form_ids, get_or_404, require_role, role_required
from .incident_forms import FormValues


def _form_of(template: Playbook | None) -> FormValues:
    if template is None:
        return FormValues(impact="minor", status="investigating")
    form = FormValues(name=template.name, impact=template.impact, status=template.status,
                      component_ids=[str(c) for c in template.component_ids or []], **(template.defaults or {}))
    for key in template.optional_placeholders or []:
        form[f"optional_{key}"] = "on"
    for locale, parts in (template.texts or {}).items():
        form[f"title_{locale}"] = parts.get("title", "")
        form[f"body_{locale}"] = parts.get("body", "")
    return form


def _page(template, form, errors, status=200):
    return render_template("admin/playbook_form.html", template=template, form=form, errors=errors,
                           impacts=IMPACTS, statuses=INCIDENT_STATUSES, components=live_components(),
                           placeholders=service.PLACEHOLDERS, placeholder_labels=service.PLACEHOLDER_LABELS,
                           locales=service.LOCALES), status


@bp.get("/playbooks")
@role_required("viewer")
def playbooks():
    return render_template("admin/playbooks.html", templates=service.live_templates())


@bp.route("/playbooks/new", methods=["GET", "POST"])
@role_required("responder")
def playbook_new():
    return _save(None)


@bp.route("/playbooks/<template_id>", methods=["GET", "POST"])
@role_required("viewer")
def playbook_edit(template_id):
    return _save(get_or_404(Playbook, template_id))


def _save(template):
    if request.method == "GET":
        return _page(template, _form_of(template), {})
    require_role("responder")
    if request.form.get("action") == "delete" and template is not None:
        soft_delete("template", template, actor=acting())
        flash(_("Playbook moved to the trash."), "info")
        return redirect(url_for("admin.playbooks"))
    data = request.form.to_dict()
    data["component_ids"] = form_ids("component_ids")
    try:
        saved = service.save_template(service.clean_template(data), template, actor=acting())
    except ValidationError as exc:
        return _page(template, request.form, exc.errors, 422)
    flash(_("Playbook saved."), "info")
    return redirect(url_for("admin.playbook_edit", template_id=saved.id))
