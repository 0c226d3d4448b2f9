"""/v1/pages/<page_id>/incident_templates: Statuspage's templates are our playbooks (English text)."""
from __future__ import annotations

from flask import jsonify

from ..models import Component, Playbook
from ..services import lookup
from ..services import playbooks as service
from ..services.page_profile import page_id
from ..services.trash import soft_delete
from . import route
from . import serializers as ser
from .common import ManageApiError, actor, as_ids, body, not_found, paginate, require_role


def _answer(playbook: Playbook) -> dict:
    return ser.template(page_id(), playbook, lookup.find_many(Component, playbook.component_ids or []))


def _template_or_404(template_id: str) -> Playbook:
    playbook = lookup.find(Playbook, template_id)
    if playbook is None:
        raise not_found("incident template")
    return playbook


def _playbook_fields(data: dict, current: Playbook | None = None) -> dict:
    """Statuspage's template fields in the shape the playbook form sends; what is not given stays."""
    data = data.get("template") or data.get("incident_template") or data
    if not isinstance(data, dict):
        raise ManageApiError(400, "'template' must be an object.")
    text = ((current.texts or {}).get("en") or {}) if current else {}
    form = {
        "name": data.get("name", current.name if current else None),
        "title_en": data.get("title", text.get("title")),
        "body_en": data.get("body", text.get("body")),
        "status": data.get("update_status") or (current.status if current else "investigating"),
        "impact": current.impact if current else "minor",
        "component_ids": as_ids(data["component_ids"], "component_ids") if "component_ids" in data
        else list(current.component_ids or []) if current else [],
    }
    for locale, parts in ((current.texts or {}) if current else {}).items():
        if locale != "en":
            form[f"title_{locale}"], form[f"body_{locale}"] = parts.get("title", ""), parts.get("body", "")
    for key, value in ((current.defaults or {}) if current else {}).items():
        form[key] = value
    for key in (current.optional_placeholders or []) if current else []:
        form[f"optional_{key}"] = "1"
    return service.clean_template(form)


@route("/pages/<page_id>/incident_templates", ["GET"])
@require_role("viewer")
def templates_list():
    return jsonify([_answer(p) for p in paginate(service.live_templates())])


@route("/pages/<page_id>/incident_templates", ["POST"])
@require_role("admin")
def templates_create():
    return jsonify(_answer(service.save_template(_playbook_fields(body()), actor=actor()))), 201


@route("/pages/<page_id>/incident_templates/<template_id>", ["GET"])
@require_role("viewer")
def templates_get(template_id):
    return jsonify(_answer(_template_or_404(template_id)))


@route("/pages/<page_id>/incident_templates/<template_id>", ["PATCH", "PUT"])
@require_role("admin")
def templates_update(template_id):
    playbook = _template_or_404(template_id)
    return jsonify(_answer(service.save_template(_playbook_fields(body(), playbook), playbook, actor=actor())))


@route("/pages/<page_id>/incident_templates/<template_id>", ["DELETE"])
@require_role("admin")
def templates_delete(template_id):
    playbook = _template_or_404(template_id)
    answer = _answer(playbook)
    soft_delete("template", playbook, actor=actor())
    return jsonify(answer)
