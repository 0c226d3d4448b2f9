"""What a viewer may see: the one rule set used by pages, feeds and API v2.

A viewer is the main page (tenant None) or one tenant's page, seen by the
public or by a signed-in admin. Every public read goes through the filters
here, so tenant A's page, feeds and API can never list tenant B's private
incidents or components.

Incidents: never deleted or draft. visibility "public" shows everywhere;
"tenants" only on the pages of the tenants listed on the incident; "drill"
only to admins (and, when tenants are listed, only on those tenants' pages or
the main page).
Components: never deleted; a component with `tenant_id` only on that tenant's
page; `only_show_if_degraded` hides an operational component from displays.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, false, or_, select, true
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import (ACTIVE_MAINTENANCE_STATUSES, CLOSED_STATUSES, COMPONENT_SEVERITY, Component, ComponentGroup,
                      Incident, IncidentComponent, Tenant, incident_tenant)


@dataclass(frozen=True)
class Viewer:
    """Who is looking: which page (tenant id or None) and whether an admin is signed in."""

    tenant_id: int | None = None
    is_admin: bool = False

    @property
    def cache_parts(self) -> tuple:
        return ("tenant", self.tenant_id, "admin", self.is_admin)


def _listed_for(tenant_id: int):
    return exists().where(incident_tenant.c.incident_id == Incident.id, incident_tenant.c.tenant_id == tenant_id)


def _has_tenants():
    return exists().where(incident_tenant.c.incident_id == Incident.id)


def incident_filter(viewer: Viewer):
    """A WHERE clause on Incident: the incidents (and maintenances) `viewer` may see."""
    listed = _listed_for(viewer.tenant_id) if viewer.tenant_id is not None else false()
    drill_scope = true() if viewer.tenant_id is None else or_(~_has_tenants(), listed)
    return and_(
        Incident.deleted_at.is_(None),
        Incident.draft.is_(False),
        or_(
            Incident.visibility == "public",
            and_(Incident.visibility == "tenants", listed),
            and_(Incident.visibility == "drill", true() if viewer.is_admin else false(), drill_scope),
        ),
    )


def component_filter(viewer: Viewer):
    """A WHERE clause on Component: the components on `viewer`'s page (whatever their status)."""
    scope = Component.tenant_id.is_(None)
    if viewer.tenant_id is not None:
        scope = or_(scope, Component.tenant_id == viewer.tenant_id)
    return and_(Component.deleted_at.is_(None), scope)


def _incident_query(viewer: Viewer):
    return (select(Incident).where(incident_filter(viewer))
            .options(selectinload(Incident.updates), selectinload(Incident.tenants),
                     selectinload(Incident.affected).selectinload(IncidentComponent.component)
                     .selectinload(Component.group)))


def get_incident(viewer: Viewer, incident_id: int) -> Incident | None:
    return db.session.scalars(_incident_query(viewer).where(Incident.id == incident_id)).first()


def incident_visible(viewer: Viewer, incident_id: int) -> bool:
    """A cheap check before a cached page is served (no relationships loaded)."""
    return db.session.scalar(select(Incident.id).where(incident_filter(viewer), Incident.id == incident_id)) is not None


def active_incidents(viewer: Viewer) -> list[Incident]:
    stmt = (_incident_query(viewer).where(Incident.kind == "incident", Incident.status.not_in(CLOSED_STATUSES))
            .order_by(Incident.started_at.desc(), Incident.id.desc()))
    return list(db.session.scalars(stmt))


def recent_incidents(viewer: Viewer, limit: int = 50, kind: str | None = "incident") -> list[Incident]:
    stmt = _incident_query(viewer)
    if kind:
        stmt = stmt.where(Incident.kind == kind)
    stmt = stmt.order_by(Incident.started_at.desc(), Incident.id.desc()).limit(limit)
    return list(db.session.scalars(stmt))


def active_maintenances(viewer: Viewer, now: datetime) -> list[Incident]:
    """In progress by status, or scheduled and already inside the window."""
    stmt = (_incident_query(viewer).where(
        Incident.kind == "maintenance", Incident.status.not_in(CLOSED_STATUSES),
        or_(Incident.status.in_(ACTIVE_MAINTENANCE_STATUSES),
            and_(Incident.scheduled_for.is_not(None), Incident.scheduled_for <= now,
                 or_(Incident.scheduled_until.is_(None), Incident.scheduled_until > now))))
        .order_by(Incident.scheduled_for.asc(), Incident.id.asc()))
    return list(db.session.scalars(stmt))


def upcoming_maintenances(viewer: Viewer, now: datetime) -> list[Incident]:
    stmt = (_incident_query(viewer).where(
        Incident.kind == "maintenance", Incident.status == "scheduled",
        or_(Incident.scheduled_for.is_(None), Incident.scheduled_for > now))
        .order_by(Incident.scheduled_for.asc(), Incident.id.asc()))
    return list(db.session.scalars(stmt))


def history_count(viewer: Viewer) -> int:
    return db.session.scalar(select(db.func.count(Incident.id)).where(incident_filter(viewer))) or 0


def history_page(viewer: Viewer, page: int, per_page: int = 20) -> list[Incident]:
    """One page of past and present incidents and maintenances, newest first."""
    stmt = (_incident_query(viewer).order_by(Incident.started_at.desc(), Incident.id.desc())
            .offset((page - 1) * per_page).limit(per_page))
    return list(db.session.scalars(stmt))


def incidents_for_component(viewer: Viewer, component_id: int, limit: int = 25) -> list[Incident]:
    touches = exists().where(IncidentComponent.incident_id == Incident.id,
                             IncidentComponent.component_id == component_id)
    stmt = (_incident_query(viewer).where(touches)
            .order_by(Incident.started_at.desc(), Incident.id.desc()).limit(limit))
    return list(db.session.scalars(stmt))


class ComponentAsSeen:
    """A component as one tenant's page shows it: its own tenants-only incidents move its status there.

    Everything but `status` reads through to the component; the component
    itself (the public state) is never changed.
    """

    def __init__(self, component: Component, status: str):
        self._component = component
        self.status = status

    def __getattr__(self, name):
        return getattr(self._component, name)


def tenant_component_statuses(tenant_id: int) -> dict[int, str]:
    """{component id: worst status} that the open tenants-only incidents listing this tenant give."""
    rows = db.session.execute(
        select(IncidentComponent.component_id, IncidentComponent.status)
        .join(Incident, Incident.id == IncidentComponent.incident_id)
        .where(Incident.visibility == "tenants", _listed_for(tenant_id), Incident.deleted_at.is_(None),
               Incident.draft.is_(False), Incident.status.not_in(CLOSED_STATUSES + ("scheduled",)),
               or_(Incident.kind == "incident", Incident.status.in_(ACTIVE_MAINTENANCE_STATUSES)))).all()
    worst: dict[int, str] = {}
    for component_id, status in rows:
        if COMPONENT_SEVERITY.get(status, 0) > COMPONENT_SEVERITY.get(worst.get(component_id, ""), -1):
            worst[component_id] = status
    return worst


def _as_seen(viewer: Viewer, comps: list[Component]) -> list:
    """The main page shows the public state; a tenant's page adds what its own incidents say."""
    if viewer.tenant_id is None:
        return comps
    own = tenant_component_statuses(viewer.tenant_id)
    if not own:
        return comps
    out = []
    for comp in comps:
        status = own.get(comp.id)
        if status is not None and COMPONENT_SEVERITY.get(status, 0) > COMPONENT_SEVERITY.get(comp.status, 0):
            out.append(ComponentAsSeen(comp, status))
        else:
            out.append(comp)
    return out


def visible_components(viewer: Viewer, for_display: bool = True) -> list[Component]:
    """Components on the viewer's page in display order, with the status that page shows.

    for_display hides operational `only_show_if_degraded` components, as the
    page does; the API lists them with the flag so clients can decide.
    """
    stmt = (select(Component).where(component_filter(viewer)).options(selectinload(Component.group))
            .outerjoin(ComponentGroup, and_(Component.group_id == ComponentGroup.id, ComponentGroup.deleted_at.is_(None)))
            .order_by(ComponentGroup.position.asc().nulls_first(), ComponentGroup.id, Component.position, Component.id))
    comps = _as_seen(viewer, list(db.session.scalars(stmt)))
    if for_display:
        comps = [c for c in comps if not (c.only_show_if_degraded and c.status == "operational")]
    return comps


def get_component(viewer: Viewer, component_id: int) -> Component | None:
    comp = db.session.scalars(select(Component).where(component_filter(viewer), Component.id == component_id)).first()
    return _as_seen(viewer, [comp])[0] if comp is not None else None


def live_group(component: Component) -> ComponentGroup | None:
    group = component.group
    return group if group is not None and group.deleted_at is None else None


def grouped(components: list[Component]) -> list[tuple[ComponentGroup | None, list[Component]]]:
    """[(group or None, components)] in the order given; ungrouped components first."""
    out: list[tuple[ComponentGroup | None, list[Component]]] = []
    index: dict[int | None, int] = {}
    for comp in components:
        group = live_group(comp)
        key = group.id if group else None
        if key not in index:
            index[key] = len(out)
            out.append((group, []))
        out[index[key]][1].append(comp)
    return out


def affected_components(viewer: Viewer, incident: Incident) -> list[IncidentComponent]:
    """The incident's affected components the viewer may see."""
    return [a for a in incident.affected
            if a.component is not None and a.component.deleted_at is None
            and (a.component.tenant_id is None or a.component.tenant_id == viewer.tenant_id or viewer.is_admin)]


def visible_tenants(viewer: Viewer, incident: Incident) -> list[Tenant]:
    """Tenants named on the incident that the viewer may learn about: public ones and its own."""
    return [t for t in incident.tenants
            if t.deleted_at is None and (viewer.is_admin or not t.private or t.id == viewer.tenant_id)]


def visible_component_ids(viewer: Viewer) -> set[int]:
    return set(db.session.scalars(select(Component.id).where(component_filter(viewer))))



def visible_incident_ids(viewer: Viewer) -> list[int]:
    """Every incident and maintenance `viewer` may open, oldest first (the static mirror writes one page each)."""
    return list(db.session.scalars(select(Incident.id).where(incident_filter(viewer)).order_by(Incident.id)))
