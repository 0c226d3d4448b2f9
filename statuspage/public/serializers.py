"""Atlassian Statuspage public API v2 shapes (ids are strings, times ISO 8601 with offset)."""
from __future__ import annotations

from datetime import date, datetime, timezone

from flask import current_app

from ..models import Component, ComponentGroup, Incident, IncidentUpdate
from ..services import status as site_status
from ..services import visibility as vis
from .access import Scope


def iso(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).isoformat(timespec="milliseconds")
    return value.isoformat()


def page_id(scope: Scope) -> str:
    return f"tenant-{scope.tenant.id}" if scope.tenant else "main"


def group_id(group: ComponentGroup) -> str:
    # Groups and components share Statuspage's id space; ours are separate tables.
    return f"group-{group.id}"


def page(scope: Scope, updated_at: datetime) -> dict:
    name = scope.tenant.name if scope.tenant else current_app.config.get("SITE_NAME", "Status")
    return {"id": page_id(scope), "name": name, "url": scope.absolute("/"),
            "time_zone": current_app.config.get("SITE_TIME_ZONE") or "UTC", "updated_at": iso(updated_at)}


def component(scope: Scope, comp: Component) -> dict:
    group = vis.live_group(comp)
    return {
        "id": str(comp.id), "name": comp.name, "status": comp.status,
        "created_at": iso(comp.created_at), "updated_at": iso(comp.updated_at),
        "position": comp.position, "description": comp.description or None, "showcase": comp.showcase,
        "start_date": iso(comp.start_date), "group_id": group_id(group) if group else None,
        "page_id": page_id(scope), "group": False, "only_show_if_degraded": comp.only_show_if_degraded,
    }


def components(scope: Scope, comps: list[Component]) -> list[dict]:
    """Components and, as Statuspage does, their groups as components with `group: true`."""
    out = []
    for group, members in vis.grouped(comps):
        if group is not None:
            out.append({
                "id": group_id(group), "name": group.name, "status": site_status.group_status(members),
                "created_at": iso(group.created_at), "updated_at": iso(group.updated_at),
                "position": group.position, "description": group.description or None, "showcase": False,
                "start_date": None, "group_id": None, "page_id": page_id(scope), "group": True,
                "only_show_if_degraded": False, "components": [str(c.id) for c in members],
            })
        out.extend(component(scope, c) for c in members)
    return out


def incident_update(update: IncidentUpdate, visible_ids: set[int]) -> dict:
    affected = [
        {"code": str(a.get("code")), "name": a.get("name"), "old_status": a.get("old_status"),
         "new_status": a.get("new_status")}
        for a in (update.affected_components or [])
        if isinstance(a, dict) and _as_int(a.get("code")) in visible_ids
    ]
    return {
        "id": str(update.id), "status": update.status, "body": update.body, "incident_id": str(update.incident_id),
        "created_at": iso(update.created_at), "updated_at": iso(update.updated_at),
        "display_at": iso(update.display_at), "affected_components": affected or None,
        "deliver_notifications": update.deliver_notifications,
    }


def incident(scope: Scope, item: Incident, visible_ids: set[int]) -> dict:
    out = {
        "id": str(item.id), "name": item.name, "status": item.status,
        "created_at": iso(item.created_at), "updated_at": iso(item.updated_at),
        "monitoring_at": iso(item.monitoring_at), "resolved_at": iso(item.resolved_at),
        "impact": item.impact, "shortlink": scope.absolute(f"/incidents/{item.id}"),
        "started_at": iso(item.started_at), "page_id": page_id(scope),
        "incident_updates": [incident_update(u, visible_ids) for u in item.updates],
        "components": [component(scope, a.component) for a in vis.affected_components(scope.viewer, item)
                       if a.component.id in visible_ids],
    }
    if item.is_maintenance:
        out["scheduled_for"] = iso(item.scheduled_for)
        out["scheduled_until"] = iso(item.scheduled_until)
    return out


def status(indicator: str) -> dict:
    return {"indicator": indicator, "description": site_status.INDICATOR_DESCRIPTIONS[indicator]}


def _as_int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
