"""Components, component groups and tenants: create, edit, order, bulk edit, delete softly."""
from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..extensions import db
from ..models import COMPONENT_STATUSES, Component, ComponentGroup, Tenant
from . import audit
from .audit import Actor
from .snapshots import component_dict, group_dict, tenant_dict
from .tenants import access_url, find_tenant_by_slug, rotate_access
from .validation import ValidationError, boolean, choice, text

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$")


def live_components(first_party_only: bool = False) -> list[Component]:
    """Every live component in page order (ungrouped last); `first_party_only` leaves out upstream feeds' ones."""
    query = select(Component).where(Component.deleted_at.is_(None))
    if first_party_only:
        query = query.where(Component.third_party.is_(False))
    return list(db.session.scalars(query.order_by(Component.group_id.is_(None), Component.group_id,
                                                  Component.position, Component.id)))


def list_components(include_deleted: bool = False, limit: int = 500) -> list[Component]:
    query = select(Component).order_by(Component.position, Component.id).limit(limit)
    if not include_deleted:
        query = query.where(Component.deleted_at.is_(None))
    return list(db.session.scalars(query))


def live_groups() -> list[ComponentGroup]:
    return list(db.session.scalars(select(ComponentGroup).where(ComponentGroup.deleted_at.is_(None))
                                   .order_by(ComponentGroup.position)))


def live_tenants() -> list[Tenant]:
    return list(db.session.scalars(select(Tenant).where(Tenant.deleted_at.is_(None)).order_by(Tenant.name)))


def list_tenants(include_deleted: bool = False, limit: int = 500) -> list[Tenant]:
    query = select(Tenant).order_by(Tenant.name).limit(limit)
    if not include_deleted:
        query = query.where(Tenant.deleted_at.is_(None))
    return list(db.session.scalars(query))


def group_by_name(name: str | None, create: bool = True, *, actor: Actor) -> ComponentGroup | None:
    if not name:
        return None
    group = db.session.scalars(select(ComponentGroup).where(
        ComponentGroup.name == name, ComponentGroup.deleted_at.is_(None))).first()
    if group is None and create:
        position = (db.session.scalar(select(func.max(ComponentGroup.position))) or 0) + 1
        group = ComponentGroup(name=name, position=position)
        db.session.add(group)
        db.session.flush()
        audit.record("create", "component_group", group.id, actor=actor, after=group_dict(group), summary=name)
    return group


def clean_component(data: dict, partial: bool = False) -> dict:
    out = {}
    has = (lambda f: f in data) if partial else (lambda f: True)
    if has("name"):
        out["name"] = text(data, "name", 200, required=True)
    if has("description"):
        out["description"] = text(data, "description", 2000)
    if has("status"):
        out["status"] = choice(data, "status", COMPONENT_STATUSES, default="operational")
    if has("group"):
        out["group"] = text(data, "group", 200)
    if has("show_uptime"):
        out["show_uptime"] = boolean(data, "show_uptime", default=True)
    if "position" in data:
        value = data["position"]
        if not isinstance(value, int) or isinstance(value, bool) or not -10**6 < value < 10**6:
            raise ValidationError({"position": _("Must be a whole number.")})
        out["position"] = value
    return out


def save_component(fields: dict, component: Component | None = None, *, actor: Actor) -> Component:
    before = component_dict(component) if component else None
    if component is None:
        component = Component(position=(db.session.scalar(select(func.max(Component.position))) or 0) + 1)
        db.session.add(component)
    for key, value in fields.items():
        if key == "group":
            component.group = group_by_name(value, actor=actor)
        else:
            setattr(component, key, value)
    db.session.flush()
    audit.record("update" if before else "create", "component", component.id, actor=actor, before=before,
                 after=component_dict(component), summary=component.name)
    db.session.commit()
    return component


def move_component(component: Component, direction: int, *, actor: Actor) -> None:
    """Swap places with the neighbour above (-1) or below (+1) within its group."""
    siblings = list(db.session.scalars(select(Component).where(
        Component.deleted_at.is_(None), Component.group_id.is_(component.group_id) if component.group_id is None
        else Component.group_id == component.group_id).order_by(Component.position, Component.id)))
    for index, comp in enumerate(siblings):
        comp.position = index
    i = siblings.index(component)
    j = i + direction
    if 0 <= j < len(siblings):
        siblings[i].position, siblings[j].position = j, i
        audit.record("reorder", "component", component.id, actor=actor, before={"position": i},
                     after={"position": j}, summary=component.name)
    db.session.commit()


def bulk_set_status(component_ids: list[int], status: str, *, actor: Actor) -> int:
    """Set many components' status at once (after the typed confirmation); returns how many changed."""
    if status not in COMPONENT_STATUSES:
        raise ValidationError({"status": _("Must be one of: %(choices)s.", choices=", ".join(COMPONENT_STATUSES))})
    comps = list(db.session.scalars(select(Component).where(Component.id.in_(component_ids or [0]),
                                                            Component.deleted_at.is_(None))))
    for comp in comps:
        before = component_dict(comp)
        comp.status = status
        audit.record("bulk_status", "component", comp.id, actor=actor, before=before, after=component_dict(comp),
                     summary=comp.name)
    db.session.commit()
    return len(comps)


def bulk_delete(component_ids: list[int], *, actor: Actor) -> int:
    comps = list(db.session.scalars(select(Component).where(Component.id.in_(component_ids or [0]),
                                                            Component.deleted_at.is_(None))))
    for comp in comps:
        before = component_dict(comp)
        comp.soft_delete()
        audit.record("delete", "component", comp.id, actor=actor, before=before, after=component_dict(comp),
                     summary=comp.name)
    db.session.commit()
    return len(comps)


def save_group(name: str, description: str = "", group: ComponentGroup | None = None, *,
               actor: Actor) -> ComponentGroup:
    before = group_dict(group) if group else None
    if group is None:
        group = ComponentGroup(position=(db.session.scalar(select(func.max(ComponentGroup.position))) or 0) + 1)
        db.session.add(group)
    group.name, group.description = name, description
    db.session.flush()
    audit.record("update" if before else "create", "component_group", group.id, actor=actor, before=before,
                 after=group_dict(group), summary=name)
    db.session.commit()
    return group


def clean_tenant(data: dict, partial: bool = False) -> dict:
    out = {}
    has = (lambda f: f in data) if partial else (lambda f: True)
    if has("name"):
        out["name"] = text(data, "name", 200, required=True)
    if has("slug"):
        slug = text(data, "slug", 80, required=True).lower()
        if not SLUG.match(slug):
            raise ValidationError({"slug": _("Use lowercase letters, digits and dashes.")})
        out["slug"] = slug
    if has("private"):
        out["private"] = boolean(data, "private", default=False)
    if has("description"):
        out["description"] = text(data, "description", 2000)
    return out


def save_tenant(fields: dict, tenant: Tenant | None = None, *, actor: Actor) -> Tenant:
    if "slug" in fields:
        clash = find_tenant_by_slug(fields["slug"], live=False)
        if clash is not None and clash is not tenant:
            raise ValidationError({"slug": _("This slug is taken (perhaps by a tenant in the trash).")})
    before = tenant_dict(tenant) if tenant else None
    if tenant is None:
        tenant = Tenant()
        db.session.add(tenant)
    for key, value in fields.items():
        setattr(tenant, key, value)
    db.session.flush()
    audit.record("update" if before else "create", "tenant", tenant.id, actor=actor, before=before,
                 after=tenant_dict(tenant), summary=tenant.name)
    db.session.commit()
    return tenant


def tenant_access_url(tenant: Tenant) -> str:
    """The signed link to a private tenant's page."""
    return access_url(tenant)


def rotate_tenant_access(tenant: Tenant, *, actor: Actor) -> None:
    before = tenant_dict(tenant)
    rotate_access(tenant)
    audit.record("rotate_access", "tenant", tenant.id, actor=actor, before=before, after=tenant_dict(tenant),
                 summary=tenant.name)
    db.session.commit()


def _live_components_by_id(component_ids: list[int], field: str) -> list[Component]:
    wanted = list(dict.fromkeys(component_ids))
    in_range = [i for i in wanted if 0 < i < 2**31]
    found = {c.id: c for c in db.session.scalars(select(Component).where(
        Component.id.in_(in_range or [0]), Component.deleted_at.is_(None)))}
    missing = [str(i) for i in wanted if i not in found]
    if missing:
        raise ValidationError({field: _("Unknown component: %(ids)s.", ids=", ".join(missing))})
    return [found[i] for i in wanted]


def save_group_with_components(name: str, description: str = "", component_ids: list[int] | None = None,
                               group: ComponentGroup | None = None, *, actor: Actor) -> ComponentGroup:
    """Create or edit a group and, when `component_ids` is given, make exactly those its members; one commit."""
    members = _live_components_by_id(component_ids, "components") if component_ids is not None else None
    before = group_dict(group) if group else None
    if group is None:
        group = ComponentGroup(position=(db.session.scalar(select(func.max(ComponentGroup.position))) or 0) + 1)
        db.session.add(group)
    group.name, group.description = name, description
    db.session.flush()
    if members is not None:
        for comp in db.session.scalars(select(Component).where(Component.group_id == group.id)):
            if comp not in members:
                comp.group_id = None
        for comp in members:
            comp.group_id = group.id
    db.session.flush()
    after = {**group_dict(group), "component_ids": [c.id for c in members]} if members is not None else group_dict(group)
    audit.record("update" if before else "create", "component_group", group.id, actor=actor, before=before,
                 after=after, summary=name)
    db.session.commit()
    return group


def group_members(group: ComponentGroup) -> list[Component]:
    """The group's live components in page order."""
    return list(db.session.scalars(select(Component).where(
        Component.group_id == group.id, Component.deleted_at.is_(None)).order_by(Component.position, Component.id)))


def tenant_components(tenant: Tenant) -> list[Component]:
    """The live components that exist only on this tenant's page."""
    return list(db.session.scalars(select(Component).where(
        Component.tenant_id == tenant.id, Component.deleted_at.is_(None)).order_by(Component.position, Component.id)))


def give_components_to_tenant(tenant: Tenant, component_ids: list[int], *, actor: Actor) -> list[Component]:
    """Make these components the tenant's own (shown only on its page); committed with an audit entry each.

    A component of another tenant is refused, and so is leaving out one the tenant has: taking it away
    would show it on the public page, which is a decision for the admin pages, not a side effect.
    """
    wanted = _live_components_by_id(component_ids, "component_ids")
    others = [str(c.id) for c in wanted if c.tenant_id not in (None, tenant.id)]
    if others:
        raise ValidationError({"component_ids": _("Unknown component: %(ids)s.", ids=", ".join(others))})
    kept = [str(c.id) for c in tenant_components(tenant) if c not in wanted]
    if kept:
        raise ValidationError({"component_ids": "components %s belong to this tenant; leaving them out would make "
                                                "them public, which only the admin pages do" % ", ".join(kept)})
    for comp in wanted:
        if comp.tenant_id != tenant.id:
            before = component_dict(comp)
            comp.tenant_id = tenant.id
            audit.record("update", "component", comp.id, actor=actor, before=before, after=component_dict(comp),
                         summary=comp.name)
    db.session.commit()
    return wanted
