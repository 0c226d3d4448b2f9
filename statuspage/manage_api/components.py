"""/v1/pages/<page_id>/components and /component-groups."""
from __future__ import annotations

from datetime import date

from flask import jsonify

from ..models import COMPONENT_STATUSES, Component, ComponentGroup
from ..services import catalog, lookup
from ..services.page_profile import page_id
from ..services.trash import soft_delete
from ..services.validation import text
from ..services.visibility import grouped
from . import route
from . import serializers as ser
from .common import (ManageApiError, actor, as_bool, as_ids, body, not_found, paginate, require_role,
                     token_is_admin, wrapped)


def _component_or_404(component_id: str) -> Component:
    comp = lookup.find(Component, component_id)
    if comp is None:
        raise not_found("component")
    return comp


def _group_or_404(group_ref: str) -> ComponentGroup:
    grp = lookup.find(ComponentGroup, group_ref.removeprefix("group-"))
    if grp is None:
        raise not_found("component group")
    return grp


def _component_fields(data: dict, partial: bool) -> dict:
    """Statuspage's component fields as ours (our ids for the group)."""
    fields: dict = {}
    if "name" in data or not partial:
        fields["name"] = text(data, "name", 200, required=True)
    if "description" in data:
        fields["description"] = text(data, "description", 2000)
    if data.get("status") not in (None, ""):
        if data["status"] not in COMPONENT_STATUSES:
            raise ManageApiError(422, "status must be one of: " + ", ".join(COMPONENT_STATUSES) + ".")
        fields["status"] = data["status"]
    for key in ("showcase", "only_show_if_degraded"):
        if key in data and data[key] is not None:
            fields[key] = as_bool(data[key], key)
    if "group_id" in data:
        ref = data["group_id"]
        fields["group_id"] = _group_or_404(str(ref)).id if ref not in (None, "") else None
    if data.get("start_date") not in (None, ""):
        try:
            fields["start_date"] = date.fromisoformat(str(data["start_date"])[:10])
        except ValueError:
            raise ManageApiError(422, "start_date must be a date like 2026-01-31.") from None
    return fields


@route("/pages/<page_id>/components", ["GET"])
@require_role("viewer")
def components_list():
    """Components in page order, each group first as Statuspage lists it (`group: true`)."""
    pid = page_id()
    out = []
    for grp, members in grouped(catalog.live_components()):
        if grp is not None:
            out.append(ser.group_as_component(pid, grp, members))
        out.extend(ser.component(pid, c) for c in members)
    return jsonify(paginate(out))


@route("/pages/<page_id>/components", ["POST"])
@require_role("admin")
def components_create():
    fields = _component_fields(wrapped(body(), "component"), partial=False)
    return jsonify(ser.component(page_id(), catalog.save_component(fields, actor=actor()))), 201


@route("/pages/<page_id>/components/<component_id>", ["GET"])
@require_role("viewer")
def components_get(component_id):
    return jsonify(ser.component(page_id(), _component_or_404(component_id)))


@route("/pages/<page_id>/components/<component_id>", ["PATCH", "PUT"])
@require_role("responder")
def components_update(component_id):
    comp = _component_or_404(component_id)
    fields = _component_fields(wrapped(body(), "component"), partial=True)
    if set(fields) - {"status"} and not token_is_admin():
        raise ManageApiError(403, "Only the 'admin' role may change more than a component's status.")
    return jsonify(ser.component(page_id(), catalog.save_component(fields, comp, actor=actor())))


@route("/pages/<page_id>/components/<component_id>", ["DELETE"])
@require_role("admin")
def components_delete(component_id):
    """Soft: restorable from the admin trash. Statuspage answers 204."""
    soft_delete("component", _component_or_404(component_id), actor=actor())
    return "", 204


def _group_fields(data: dict) -> tuple[dict, dict]:
    """(the group object, the whole body): Statuspage puts `description` beside `component_group`."""
    inner = wrapped(data, "component_group")
    return inner, data


@route("/pages/<page_id>/component-groups", ["GET"])
@require_role("viewer")
def groups_list():
    pid = page_id()
    return jsonify(paginate([ser.group(pid, g) for g in catalog.live_groups()]))


@route("/pages/<page_id>/component-groups", ["POST"])
@require_role("admin")
def groups_create():
    inner, outer = _group_fields(body())
    name = text(inner, "name", 200, required=True)
    description = text({"d": inner.get("description", outer.get("description"))}, "d", 2000)
    members = as_ids(inner.get("components"), "components")
    grp = catalog.save_group_with_components(name, description, members, actor=actor())
    return jsonify(ser.group(page_id(), grp)), 201


@route("/pages/<page_id>/component-groups/<group_ref>", ["GET"])
@require_role("viewer")
def groups_get(group_ref):
    return jsonify(ser.group(page_id(), _group_or_404(group_ref)))


@route("/pages/<page_id>/component-groups/<group_ref>", ["PATCH", "PUT"])
@require_role("admin")
def groups_update(group_ref):
    grp = _group_or_404(group_ref)
    inner, outer = _group_fields(body())
    name = text(inner, "name", 200, required=True) if "name" in inner else grp.name
    given = inner.get("description", outer.get("description"))
    description = text({"d": given}, "d", 2000) if given is not None else grp.description
    members = as_ids(inner["components"], "components") if "components" in inner else None
    grp = catalog.save_group_with_components(name, description, members, grp, actor=actor())
    return jsonify(ser.group(page_id(), grp))


@route("/pages/<page_id>/component-groups/<group_ref>", ["DELETE"])
@require_role("admin")
def groups_delete(group_ref):
    """Soft, restorable; Statuspage answers the group with 200."""
    grp = _group_or_404(group_ref)
    answer = ser.group(page_id(), grp)
    soft_delete("group", grp, actor=actor())
    return jsonify(answer)

