"""/v1/pages/<page_id>/page_access_groups: Statuspage's audiences are our tenants. A group's
components are the tenant's own components (shown only on its page); `external_identifier` is its slug."""
from __future__ import annotations

import re

from flask import jsonify

from ..models import Component, Tenant
from ..services import catalog, lookup
from ..services.page_profile import page_id
from ..services.trash import soft_delete
from . import route
from . import serializers as ser
from .common import ManageApiError, actor, as_ids, body, not_found, paginate, require_role, wrapped


def _group_or_404(group_id: str) -> Tenant:
    tenant = lookup.find(Tenant, group_id)
    if tenant is None:
        raise not_found("page access group")
    return tenant


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:80].strip("-")


def _components(data: dict, tenant: Tenant | None) -> list[int] | None:
    if "component_ids" not in data:
        return None
    ids = as_ids(data["component_ids"], "component_ids")
    for cid in ids:
        comp = lookup.find(Component, cid)
        if comp is None or comp.tenant_id not in (None, tenant.id if tenant else None):
            raise ManageApiError(422, f"component_ids: unknown component {cid}.")
    return ids


@route("/pages/<page_id>/page_access_groups", ["GET"])
@require_role("viewer")
def access_groups_list():
    pid = page_id()
    return jsonify([ser.page_access_group(pid, t) for t in paginate(catalog.live_tenants())])


@route("/pages/<page_id>/page_access_groups/<group_id>", ["GET"])
@require_role("viewer")
def access_groups_get(group_id):
    return jsonify(ser.page_access_group(page_id(), _group_or_404(group_id)))


@route("/pages/<page_id>/page_access_groups", ["POST"])
@require_role("admin")
def access_groups_create():
    data = wrapped(body(), "page_access_group")
    name = data.get("name")
    slug = data.get("external_identifier") or (_slug(name) if isinstance(name, str) else None)
    components = _components(data, None)
    fields = catalog.clean_tenant({"name": name, "slug": slug, "private": True})
    tenant = catalog.save_tenant(fields, actor=actor())
    if components:
        catalog.give_components_to_tenant(tenant, components, actor=actor())
    return jsonify(ser.page_access_group(page_id(), tenant)), 201


@route("/pages/<page_id>/page_access_groups/<group_id>", ["PATCH", "PUT"])
@require_role("admin")
def access_groups_update(group_id):
    tenant = _group_or_404(group_id)
    data = wrapped(body(), "page_access_group")
    components = _components(data, tenant)
    given = {"name": data["name"]} if "name" in data else {}
    if data.get("external_identifier"):
        given["slug"] = data["external_identifier"]
    if given:
        catalog.save_tenant(catalog.clean_tenant(given, partial=True), tenant, actor=actor())
    if components is not None:
        catalog.give_components_to_tenant(tenant, components, actor=actor())
    return jsonify(ser.page_access_group(page_id(), tenant))


@route("/pages/<page_id>/page_access_groups/<group_id>", ["DELETE"])
@require_role("admin")
def access_groups_delete(group_id):
    """Soft, restorable: the tenant goes to the trash with its page."""
    tenant = _group_or_404(group_id)
    answer = ser.page_access_group(page_id(), tenant)
    soft_delete("tenant", tenant, actor=actor())
    return jsonify(answer)
