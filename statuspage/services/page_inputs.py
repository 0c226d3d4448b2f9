"""What public pages are made of, read cheaply, so the static mirror re-renders only pages whose inputs changed.

An incident page shows the incident, its updates, the components it affects
(their names and the status the incident gives them) and the tenants it names;
the page frame shows the site's and tenants' names and settings. A fingerprint
is a hash of those inputs' identities and change stamps, read with a few
narrow queries instead of rendering the page.
"""
from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select

from ..extensions import db
from ..models import Component, ComponentGroup, Incident, IncidentComponent, IncidentUpdate, Setting, Tenant, incident_tenant
from ..models.site import SiteState, TenantState
from .visibility import Viewer, incident_filter


def _digest(*parts) -> str:
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()[:32]


def data_version() -> tuple[int, int, int]:
    """The public data version and the tenants' (sum and count), read now; the page cache reads them
    through a short memo. Any public change moves one of them."""
    site = db.session.scalar(select(SiteState.version).where(SiteState.id == 1)) or 0
    tenants = db.session.execute(select(db.func.coalesce(db.func.sum(TenantState.version), 0),
                                        db.func.count(TenantState.tenant_id))).one()
    return int(site), int(tenants[0]), int(tenants[1])


def shared_fingerprint() -> str:
    """What every page's frame may show: component, group and tenant names and flags, settings.

    Component statuses are left out: incident pages show the status the incident gives, not the live one.
    """
    comps = db.session.execute(select(Component.id, Component.name, Component.tenant_id, Component.group_id,
                                      Component.deleted_at).order_by(Component.id)).all()
    groups = db.session.execute(select(ComponentGroup.id, ComponentGroup.name, ComponentGroup.deleted_at)
                                .order_by(ComponentGroup.id)).all()
    tenants = db.session.execute(select(Tenant.id, Tenant.name, Tenant.slug, Tenant.private, Tenant.deleted_at)
                                 .order_by(Tenant.id)).all()
    settings = db.session.execute(select(Setting.key, Setting.value).order_by(Setting.key)).all()
    return _digest([tuple(r) for r in comps], [tuple(r) for r in groups], [tuple(r) for r in tenants],
                   [(k, repr(v)) for k, v in settings])


@dataclass
class IncidentInputs:
    """Per visible incident, a fingerprint; per component, the visible incidents that touch it."""

    by_incident: dict[int, str] = field(default_factory=dict)
    by_component: dict[int, list[int]] = field(default_factory=dict)


def incident_inputs(viewer: Viewer) -> IncidentInputs:
    visible = select(Incident.id).where(incident_filter(viewer))
    incidents = db.session.execute(select(Incident.id, Incident.updated_at).where(Incident.id.in_(visible))).all()
    parts: dict[int, list] = {row.id: [row.updated_at] for row in incidents}
    updates = db.session.execute(select(IncidentUpdate.incident_id, IncidentUpdate.id, IncidentUpdate.updated_at)
                                 .where(IncidentUpdate.incident_id.in_(visible))
                                 .order_by(IncidentUpdate.incident_id, IncidentUpdate.id)).all()
    for incident_id, update_id, updated_at in updates:
        parts[incident_id].append(("u", update_id, updated_at))
    affected = db.session.execute(select(IncidentComponent.incident_id, IncidentComponent.component_id,
                                         IncidentComponent.status)
                                  .where(IncidentComponent.incident_id.in_(visible))
                                  .order_by(IncidentComponent.incident_id, IncidentComponent.component_id)).all()
    by_component: dict[int, list[int]] = defaultdict(list)
    for incident_id, component_id, status in affected:
        parts[incident_id].append(("c", component_id, status))
        by_component[component_id].append(incident_id)
    named = db.session.execute(select(incident_tenant.c.incident_id, incident_tenant.c.tenant_id)
                               .where(incident_tenant.c.incident_id.in_(visible))
                               .order_by(incident_tenant.c.incident_id, incident_tenant.c.tenant_id)).all()
    for incident_id, tenant_id in named:
        parts[incident_id].append(("t", tenant_id))
    return IncidentInputs({iid: _digest(*p) for iid, p in parts.items()}, dict(by_component))
