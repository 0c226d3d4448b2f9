"""/v1/pages/<page_id>/incidents (and maintenances, which Statuspage calls scheduled incidents)."""
from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _

from ..models import ACTIVE_MAINTENANCE_STATUSES, IMPACTS, MAINTENANCE_STATUSES, Component, Incident, Tenant, utcnow
from ..services import incidents as service
from ..services import lookup
from ..services.incident_metadata import clean_metadata, save_incident_metadata
from ..services.maintenance import parse_window
from ..services.page_profile import page_id
from . import route
from . import serializers as ser
from .common import (ManageApiError, actor, as_bool, as_id, as_ids, body, not_found, paginate, require_role,
                     wanted_rows, wrapped)

LIST_MAX = 1000


def _incident_or_404(incident_id: str) -> Incident:
    item = lookup.find(Incident, incident_id)
    if item is None:
        raise not_found("incident")
    return item


def _answer_list(items: list[Incident]):
    pid = page_id()
    query = (request.args.get("q") or "").strip().lower()
    if query:
        items = [i for i in items if query in i.name.lower() or query in i.status
                 or any(query in (u.body or "").lower() for u in i.updates)]
    return jsonify([ser.incident(pid, i) for i in paginate(items)])


def _listed(kind: str | None, state: str | None = None, order: str = "newest") -> list[Incident]:
    limit = LIST_MAX if request.args.get("q") else min(wanted_rows(), LIST_MAX)
    return service.list_incidents(kind=kind, state=state, order=order, limit=limit)


@route("/pages/<page_id>/incidents", ["GET"])
@require_role("viewer")
def incidents_list():
    return _answer_list(_listed(None))


@route("/pages/<page_id>/incidents/unresolved", ["GET"])
@require_role("viewer")
def incidents_unresolved():
    return _answer_list(_listed("incident", "open"))


@route("/pages/<page_id>/incidents/scheduled", ["GET"])
@require_role("viewer")
def incidents_scheduled():
    items = service.list_incidents(kind="maintenance", state="open", order="soonest", limit=LIST_MAX)
    return _answer_list([i for i in items if i.status == "scheduled"])


@route("/pages/<page_id>/incidents/upcoming", ["GET"])
@require_role("viewer")
def incidents_upcoming():
    now = utcnow()
    items = service.list_incidents(kind="maintenance", state="open", order="soonest", limit=LIST_MAX)
    return _answer_list([i for i in items if i.status == "scheduled" and i.scheduled_for and i.scheduled_for > now])


@route("/pages/<page_id>/incidents/active_maintenance", ["GET"])
@require_role("viewer")
def incidents_active_maintenance():
    items = service.list_incidents(kind="maintenance", state="open", order="soonest", limit=LIST_MAX)
    return _answer_list([i for i in items if i.status in ACTIVE_MAINTENANCE_STATUSES])


@route("/pages/<page_id>/incidents/<incident_id>", ["GET"])
@require_role("viewer")
def incidents_get(incident_id):
    return jsonify(ser.incident(page_id(), _incident_or_404(incident_id)))


def _kind_of(data: dict) -> str:
    """Statuspage tells a scheduled maintenance by its status or by a `scheduled_for`."""
    status = data.get("status")
    if status in MAINTENANCE_STATUSES or (status in (None, "") and data.get("scheduled_for")):
        return "maintenance"
    return "incident"


def _impact(data: dict, kind: str) -> str | None:
    value = data.get("impact_override")
    if value in (None, ""):
        return None
    if value == "maintenance":
        return "none"
    if value not in IMPACTS:
        raise ManageApiError(422, "impact_override must be one of: none, maintenance, minor, major, critical.")
    return value


def _component_statuses(data: dict, keep: list[int] | None = None) -> dict:
    """`components` ({id: status}) and `component_ids` in the shape our incident rules read."""
    out: dict = {}
    raw = data.get("components")
    if raw not in (None, ""):
        if isinstance(raw, list):  # [{"id": ..., "status": ...}], as some clients send it
            raw = {str(c.get("id")): c.get("status") for c in raw if isinstance(c, dict)}
        if not isinstance(raw, dict):
            raise ManageApiError(422, "components must map component ids to statuses.")
        for key, status in raw.items():
            cid = as_id(key)
            if cid is None:
                raise ManageApiError(422, f"components: {str(key)[:40]!r} is not a known component id.")
            out[str(cid)] = status
    ids = as_ids(data.get("component_ids"), "component_ids") if "component_ids" in data else list(keep or [])
    return {"components": out, "component_ids": ids}


def _audience(data: dict, component_ids: list[int]) -> dict:
    """Page access groups are our tenants: an incident on tenant-only components (or one naming
    `page_access_group_ids`) is shown on those tenants' pages and reaches their subscribers only."""
    if "page_access_group_ids" in data:
        tenants = [lookup.find(Tenant, i) for i in as_ids(data["page_access_group_ids"], "page_access_group_ids")]
        if any(t is None for t in tenants):
            raise ManageApiError(422, "page_access_group_ids: unknown page access group.")
    else:
        components = [lookup.find(Component, cid) for cid in component_ids]
        owners = {c.tenant_id for c in components if c is not None}
        if not owners or None in owners:
            return {}
        tenants = [lookup.find(Tenant, tid) for tid in sorted(owners)]
    tenants = [t for t in tenants if t is not None]
    if not tenants:
        return {"visibility": "public", "tenant_slugs": []}
    return {"visibility": "tenants", "tenant_slugs": [t.slug for t in tenants]}


def _window(data: dict, kind: str, incident: Incident | None = None) -> dict:
    if kind != "maintenance":
        return {}
    window: dict = {}
    start, end = data.get("scheduled_for"), data.get("scheduled_until")
    if incident is None or start or end:
        if not start or not end:
            raise ManageApiError(422, "scheduled_for and scheduled_until are required for a scheduled maintenance.")
        window["scheduled_for"], window["scheduled_until"] = parse_window(str(start), str(end), "UTC")
    autos = [as_bool(data[k], k) for k in ("scheduled_auto_in_progress", "scheduled_auto_completed",
                                           "scheduled_auto_transition") if data.get(k) is not None]
    if autos:
        window["auto_transition"] = any(autos)
    for ours, theirs in (("notify_on_start", "auto_transition_deliver_notifications_at_start"),
                         ("notify_on_complete", "auto_transition_deliver_notifications_at_end")):
        if data.get(theirs) is not None:
            window[ours] = as_bool(data[theirs], theirs)
    return window


@route("/pages/<page_id>/incidents", ["POST"])
@require_role("responder")
def incidents_create():
    data = wrapped(body(), "incident")
    if data.get("backfilled") is not None and as_bool(data["backfilled"], "backfilled"):
        # A backfilled incident is history; ours would go live and notify. Refused rather than surprising anyone.
        raise ManageApiError(422, "backfilled incidents are not supported: post it, then resolve it, or use the "
                                  "admin pages.")
    kind = _kind_of(data)
    metadata = clean_metadata(data.get("metadata"))
    window = _window(data, kind)
    ours = {"name": data.get("name"), "body": data.get("body") or "",
            "status": data.get("status") or ("scheduled" if kind == "maintenance" else "investigating"),
            **_component_statuses(data)}
    if kind == "maintenance":
        ours["components"] = {k: v or "under_maintenance" for k, v in ours["components"].items()}
        ours["components"].update({str(c): "under_maintenance" for c in ours["component_ids"]
                                   if str(c) not in ours["components"]})
    impact = _impact(data, kind)
    if impact:
        ours["impact"] = impact
    if data.get("deliver_notifications") is not None:
        ours["deliver_notifications"] = as_bool(data["deliver_notifications"], "deliver_notifications")
    ours.update(_audience(data, ours["component_ids"] + [int(k) for k in ours["components"]]))
    fields = service.clean_incident(ours, kind=kind)
    tenants = fields.pop("tenants")
    incident = service.create_incident(**fields, tenants=tenants, kind=kind, actor=actor(), **window)
    if metadata:
        save_incident_metadata(incident, metadata, actor=actor())
    return jsonify(ser.incident(page_id(), incident)), 201


@route("/pages/<page_id>/incidents/<incident_id>", ["PATCH", "PUT"])
@require_role("responder")
def incidents_update(incident_id):
    """Edit the incident; a new `status` or a `body` also posts an incident update (and notifies)."""
    incident = _incident_or_404(incident_id)
    data = wrapped(body(), "incident")
    metadata = clean_metadata(data["metadata"]) if "metadata" in data else None
    if incident.is_maintenance and (data.get("scheduled_for") or data.get("scheduled_until")):
        window = _window(data, "maintenance", incident)
        if (window.get("scheduled_for"), window.get("scheduled_until")) != (incident.scheduled_for,
                                                                           incident.scheduled_until):
            raise ManageApiError(422, "Moving a maintenance window is done in the admin pages; "
                                      "scheduled_for and scheduled_until may only be repeated.")
    ours: dict = {}
    if "name" in data:
        ours["name"] = data["name"]
    impact = _impact(data, incident.kind)
    if impact:
        ours["impact"] = impact
    if "components" in data or "component_ids" in data:
        ours.update(_component_statuses(data, keep=[a.component_id for a in incident.affected]))
    fields = service.clean_incident(ours, kind=incident.kind, partial=True)
    status = data.get("status") or incident.status
    update_fields = None
    if status != incident.status or data.get("body"):
        deliver = as_bool(data["deliver_notifications"], "deliver_notifications") \
            if data.get("deliver_notifications") is not None else True
        update_fields = service.clean_update({
            "status": status, "body": data.get("body") or _("Status changed to %(status)s.", status=status),
            "deliver_notifications": deliver}, incident)
    service.edit_and_post_update(incident, fields, update_fields, actor=actor())
    if metadata is not None:
        save_incident_metadata(incident, metadata, actor=actor())
    return jsonify(ser.incident(page_id(), incident))


@route("/pages/<page_id>/incidents/<incident_id>", ["DELETE"])
@require_role("responder")
def incidents_delete(incident_id):
    """Soft: restorable from the admin trash or the admin API; Statuspage answers the incident."""
    incident = _incident_or_404(incident_id)
    service.delete_incident(incident, actor=actor())
    return jsonify(ser.incident(page_id(), incident))
