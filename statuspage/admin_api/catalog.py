"""Components and tenants over the admin API."""
from __future__ import annotations

from flask import jsonify
from flask_babel import gettext as _

from ..models import Component, Tenant
from ..services import catalog as service
from ..services.snapshots import component_dict, tenant_dict
from ..services.trash import restore, soft_delete
from . import bp
from .common import ApiError, api_actor, api_token, json_body, require_role
from .helpers import flag, get_or_404, list_limit, token_is_admin


def tenant_json(tenant: Tenant) -> dict:
    data = tenant_dict(tenant)
    # The link opens the tenant's page to whoever holds it: admins hand it out, as in the admin pages.
    if tenant.private and token_is_admin():
        data["access_url"] = service.tenant_access_url(tenant)
    return data


@bp.get("/components")
@require_role("viewer")
def components_list():
    components = service.list_components(include_deleted=flag("include_deleted"), limit=list_limit(500, 5000))
    return jsonify([component_dict(c) for c in components])


@bp.post("/components")
@require_role("admin")
def components_create():
    component = service.save_component(service.clean_component(json_body()), actor=api_actor())
    return jsonify(component_dict(component)), 201


@bp.get("/components/<component_id>")
@require_role("viewer")
def components_get(component_id):
    return jsonify(component_dict(get_or_404(Component, component_id, what="component")))


@bp.patch("/components/<component_id>")
@require_role("responder")
def components_patch(component_id):
    component = get_or_404(Component, component_id, what="component")
    fields = service.clean_component(json_body(), partial=True)
    token = api_token()
    if set(fields) - {"status"} and not (token.user.has_role("admin") and token.role == "admin"):
        raise ApiError(403, "forbidden", _("Only the 'admin' role may change more than a component's status."))
    return jsonify(component_dict(service.save_component(fields, component, actor=api_actor())))


@bp.delete("/components/<component_id>")
@require_role("admin")
def components_delete(component_id):
    component = get_or_404(Component, component_id, what="component")
    soft_delete("component", component, actor=api_actor())
    return jsonify(component_dict(component))


@bp.post("/components/<component_id>/restore")
@require_role("admin")
def components_restore(component_id):
    component = get_or_404(Component, component_id, live=False, what="component")
    if component.deleted_at is not None:
        restore("component", component, actor=api_actor())
    return jsonify(component_dict(component))


@bp.get("/tenants")
@require_role("viewer")
def tenants_list():
    tenants = service.list_tenants(include_deleted=flag("include_deleted"), limit=list_limit(500, 5000))
    return jsonify([tenant_json(t) for t in tenants])


@bp.post("/tenants")
@require_role("admin")
def tenants_create():
    return jsonify(tenant_json(service.save_tenant(service.clean_tenant(json_body()), actor=api_actor()))), 201


@bp.get("/tenants/<tenant_id>")
@require_role("viewer")
def tenants_get(tenant_id):
    return jsonify(tenant_json(get_or_404(Tenant, tenant_id, what="tenant")))


@bp.patch("/tenants/<tenant_id>")
@require_role("admin")
def tenants_patch(tenant_id):
    tenant = get_or_404(Tenant, tenant_id, what="tenant")
    fields = service.clean_tenant(json_body(), partial=True)
    return jsonify(tenant_json(service.save_tenant(fields, tenant, actor=api_actor())))


@bp.delete("/tenants/<tenant_id>")
@require_role("admin")
def tenants_delete(tenant_id):
    tenant = get_or_404(Tenant, tenant_id, what="tenant")
    soft_delete("tenant", tenant, actor=api_actor())
    return jsonify(tenant_json(tenant))


@bp.post("/tenants/<tenant_id>/restore")
@require_role("admin")
def tenants_restore(tenant_id):
    tenant = get_or_404(Tenant, tenant_id, live=False, what="tenant")
    if tenant.deleted_at is not None:
        restore("tenant", tenant, actor=api_actor())
    return jsonify(tenant_json(tenant))


@bp.post("/tenants/<tenant_id>/rotate-access")
@require_role("admin")
def tenants_rotate(tenant_id):
    tenant = get_or_404(Tenant, tenant_id, what="tenant")
    service.rotate_tenant_access(tenant, actor=api_actor())
    return jsonify(tenant_json(tenant))
