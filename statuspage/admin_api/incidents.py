"""Incidents and maintenances over the admin API: the same rules as the admin forms."""
from __future__ import annotations

from flask import g, jsonify, request
from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import CLOSED_STATUSES, Incident
from ..services import incidents as service
from ..services.snapshots import incident_dict, update_dict
from ..services.validation import choice
from . import bp
from .common import json_body, require_role
from .helpers import flag, get_or_404, list_limit


@bp.get("/incidents")
@require_role("viewer")
def incidents_list():
    query = select(Incident).order_by(Incident.started_at.desc(), Incident.id.desc()).limit(list_limit())
    if not flag("include_deleted"):
        query = query.where(Incident.deleted_at.is_(None))
    kind = request.args.get("kind")
    if kind:
        query = query.where(Incident.kind == choice(request.args, "kind", ("incident", "maintenance")))
    state = request.args.get("state")
    if state:
        state = choice(request.args, "state", ("open", "closed"))
        closed = Incident.status.in_(CLOSED_STATUSES)
        query = query.where(closed if state == "closed" else ~closed)
    return jsonify([incident_dict(i, with_updates=False) for i in db.session.scalars(query)])


@bp.post("/incidents")
@require_role("responder")
def incidents_create():
    data = json_body()
    fields = service.clean_incident(data)
    tenants = fields.pop("tenants")
    incident = service.create_incident(**fields, tenants=tenants, owner=g.api_token.user)
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
    service.update_incident(incident, fields, commit=False)
    if update_fields is not None:
        service.post_update(incident, update_fields["status"], update_fields["body"], {},
                            update_fields["deliver_notifications"], body_translations=update_fields["body_translations"],
                            author=g.api_token.user, commit=False)
    db.session.commit()
    return jsonify(incident_dict(incident))


@bp.delete("/incidents/<incident_id>")
@require_role("responder")
def incidents_delete(incident_id):
    incident = get_or_404(Incident, incident_id, what="incident")
    service.delete_incident(incident)
    return jsonify(incident_dict(incident, with_updates=False))


@bp.post("/incidents/<incident_id>/restore")
@require_role("responder")
def incidents_restore(incident_id):
    incident = get_or_404(Incident, incident_id, live=False, what="incident")
    if incident.deleted_at is not None:
        service.restore_incident(incident)
    return jsonify(incident_dict(incident, with_updates=False))


@bp.post("/incidents/<incident_id>/updates")
@require_role("responder")
def incidents_post_update(incident_id):
    incident = get_or_404(Incident, incident_id, what="incident")
    fields = service.clean_update(json_body(), incident)
    update = service.post_update(incident, fields["status"], fields["body"], fields["components"],
                                 fields["deliver_notifications"], body_translations=fields["body_translations"],
                                 author=g.api_token.user)
    return jsonify(update_dict(update)), 201
