"""Incidents and maintenances over the admin API: the same rules as the admin forms."""
from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _

from ..models import Incident
from ..services import incidents as service
from ..services.snapshots import incident_dict, update_dict
from ..services.validation import choice
from . import bp
from .common import api_actor, json_body, require_role
from .helpers import flag, get_or_404, list_limit


@bp.get("/incidents")
@require_role("viewer")
def incidents_list():
    kind = choice(request.args, "kind", ("incident", "maintenance")) if request.args.get("kind") else None
    state = choice(request.args, "state", ("open", "closed")) if request.args.get("state") else None
    rows = service.list_incidents(kind=kind, state=state, include_deleted=flag("include_deleted"), limit=list_limit())
    return jsonify([incident_dict(i, with_updates=False) for i in rows])


@bp.post("/incidents")
@require_role("responder")
def incidents_create():
    data = json_body()
    fields = service.clean_incident(data)
    tenants = fields.pop("tenants")
    incident = service.create_incident(**fields, tenants=tenants, actor=api_actor())
    return jsonify(incident_dict(incident)), 201


@bp.get("/incidents/<incident_id>")
@require_role("viewer")
def incidents_get(incident_id):
    return jsonify(incident_dict(get_or_404(Incident, incident_id, what="incident")))


@bp.patch("/incidents/<incident_id>")
@require_role("responder")
def incidents_patch(incident_id):
    """Edit fields; `draft: false` publishes; `status` and/or `body` also post a timeline update."""
    incident = get_or_404(Incident, incident_id, what="incident")
    data = json_body()
    fields = service.clean_incident(data, kind=incident.kind, partial=True)
    update_fields = None
    if "status" in data or "body" in data:
        update_fields = service.clean_update({
            "status": data.get("status", incident.status),
            "body": data.get("body") or _("Status changed to %(status)s.", status=data.get("status", incident.status)),
            "body_translations": data.get("body_translations") or {},
            "deliver_notifications": data.get("deliver_notifications", True)}, incident)
    service.edit_and_post_update(incident, fields, update_fields, actor=api_actor())
    return jsonify(incident_dict(incident))


@bp.delete("/incidents/<incident_id>")
@require_role("responder")
def incidents_delete(incident_id):
    incident = get_or_404(Incident, incident_id, what="incident")
    service.delete_incident(incident, actor=api_actor())
    return jsonify(incident_dict(incident, with_updates=False))


@bp.post("/incidents/<incident_id>/restore")
@require_role("responder")
def incidents_restore(incident_id):
    incident = get_or_404(Incident, incident_id, live=False, what="incident")
    if incident.deleted_at is not None:
        service.restore_incident(incident, actor=api_actor())
    return jsonify(incident_dict(incident, with_updates=False))


@bp.post("/incidents/<incident_id>/updates")
@require_role("responder")
def incidents_post_update(incident_id):
    incident = get_or_404(Incident, incident_id, what="incident")
    fields = service.clean_update(json_body(), incident)
    update = service.post_update(incident, fields["status"], fields["body"], fields["components"],
                                 fields["deliver_notifications"], body_translations=fields["body_translations"],
                                 actor=api_actor())
    return jsonify(update_dict(update)), 201
