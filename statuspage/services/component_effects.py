"""What an incident does to the components it affects: the public state, or only its tenants' pages.

Public incidents move the real component status; drafts, drills and
tenants-only incidents never do (a tenants-only incident shows its effect on
its tenants' pages, see visibility.tenant_component_statuses). Resolving
leaves a component at the worst status the other open public incidents give it.
"""
from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import (
    ACTIVE_MAINTENANCE_STATUSES, CLOSED_STATUSES, COMPONENT_SEVERITY, Component, Incident, IncidentComponent)


def affects_public_components(incident: Incident) -> bool:
    """Drafts and drills never touch the real component statuses, nor do tenants-only incidents.

    A tenants-only incident's component statuses show on its tenants' pages only
    (see visibility.tenant_component_statuses); the public state stays as it was.
    """
    return (not incident.draft and incident.visibility not in ("drill", "tenants")
            and incident.deleted_at is None)


def default_component_status(kind: str, impact: str) -> str:
    if kind == "maintenance":
        return "under_maintenance"
    return {"none": "operational", "minor": "degraded_performance", "major": "partial_outage",
            "critical": "major_outage"}.get(impact, "degraded_performance")


def apply_component_statuses(incident: Incident, wanted: dict, status: str) -> list[dict]:
    """Record each affected component's new status; move the real component when the incident is public."""
    by_id = {a.component_id: a for a in incident.affected}
    for cid, st in wanted.items():
        link = by_id.get(cid)
        if link is None:
            link = IncidentComponent(component_id=cid, status=st or default_component_status(incident.kind, incident.impact))
            incident.affected.append(link)
            by_id[cid] = link
        elif st:
            link.status = st
    db.session.flush()
    if not affects_public_components(incident) or (incident.kind == "maintenance" and status == "scheduled"):
        return [_change(link.component, link.component.status, link.status) for link in incident.affected]
    closing = status in CLOSED_STATUSES
    changes = []
    for link in incident.affected:
        comp = link.component
        old = comp.status
        if closing:
            comp.status = settled_status(comp, excluding=incident)
        else:
            comp.status = link.status
        changes.append(_change(comp, old, comp.status))
    return changes


def _change(comp: Component, old: str, new: str) -> dict:
    return {"code": comp.id, "name": comp.name, "old_status": old, "new_status": new}


def open_incidents_affecting(component: Component, excluding: Incident | None = None) -> list[tuple[Incident, str]]:
    """Other live incidents that hold the public `component` down, with the status each gives it."""
    rows = db.session.execute(
        select(Incident, IncidentComponent.status)
        .join(IncidentComponent, IncidentComponent.incident_id == Incident.id)
        .where(IncidentComponent.component_id == component.id, Incident.deleted_at.is_(None),
               Incident.draft.is_(False), Incident.visibility.not_in(("drill", "tenants")),
               Incident.status.not_in(CLOSED_STATUSES + ("scheduled",)))).all()
    return [(inc, st) for inc, st in rows if excluding is None or inc.id != excluding.id]


def settled_status(component: Component, excluding: Incident | None = None) -> str:
    """Operational unless another open incident affects it; then the worst such status."""
    others = [st for _inc, st in open_incidents_affecting(component, excluding)]
    return max(others, key=lambda s: COMPONENT_SEVERITY.get(s, 0)) if others else "operational"


def resolution_conflicts(incident: Incident) -> list[dict]:
    """What resolving would leave degraded, for the "are you sure" warning."""
    out = []
    for link in incident.affected:
        others = open_incidents_affecting(link.component, excluding=incident)
        if others:
            out.append({"component": link.component, "incidents": [i for i, _s in others],
                        "status": settled_status(link.component, excluding=incident)})
    return out


def follow_visibility(incident: Incident, was_public: bool) -> None:
    """An open incident that became tenants-only gives the public components back; one made public takes them."""
    now_public = affects_public_components(incident)
    if was_public == now_public or not incident.is_open:
        return
    db.session.flush()
    if was_public:
        for link in incident.affected:
            link.component.status = settled_status(link.component, excluding=incident)
    elif incident.kind == "incident" or incident.status in ACTIVE_MAINTENANCE_STATUSES:
        apply_component_statuses(incident, {}, incident.status)
