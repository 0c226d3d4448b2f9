"""Admin API: the incident response (responders, the severity policy, internal notes, checks, the team)."""
from __future__ import annotations

from flask import jsonify

from ..models import Incident, Responder
from ..services import incident_response, responders
from . import bp
from .common import api_actor, json_body, require_role
from .helpers import get_or_404


@bp.get("/responders")
@require_role("viewer")
def responders_list():
    return jsonify([responders.responder_dict(r) for r in responders.list_responders()])


@bp.post("/responders")
@require_role("admin")
def responders_create():
    fields = responders.clean_responder(json_body())
    return jsonify(responders.responder_dict(responders.create_responder(fields, actor=api_actor()))), 201


@bp.delete("/responders/<responder_id>")
@require_role("admin")
def responders_delete(responder_id):
    responder = get_or_404(Responder, responder_id, what="responder")
    responders.delete_responder(responder, actor=api_actor())
    return jsonify(responders.responder_dict(responder))


@bp.get("/severity-policy")
@require_role("viewer")
def severity_policy_get():
    return jsonify(responders.severity_policy())


@bp.put("/severity-policy")
@require_role("admin")
def severity_policy_put():
    policy = responders.clean_policy(json_body())
    return jsonify(responders.save_policy(policy, actor=api_actor()))


@bp.get("/incidents/<incident_id>/notes")
@require_role("viewer")
def incident_notes_list(incident_id):
    incident = get_or_404(Incident, incident_id, what="incident")
    return jsonify([incident_response.note_dict(n) for n in incident_response.notes_of(incident)])


@bp.post("/incidents/<incident_id>/notes")
@require_role("responder")
def incident_notes_create(incident_id):
    """An internal note; `"kind": "check"` records a status check ("checked, no change")."""
    incident = get_or_404(Incident, incident_id, what="incident")
    data = json_body()
    body = data.get("body") if isinstance(data.get("body"), str) else ""
    if data.get("kind") == "check":
        note = incident_response.record_check(incident, body, actor=api_actor())
    else:
        note = incident_response.record_note(incident, data.get("body"), actor=api_actor())
    return jsonify(incident_response.note_dict(note)), 201


@bp.put("/incidents/<incident_id>/team")
@require_role("responder")
def incident_team_put(incident_id):
    """{"lead": responder id, "technical": …, "communications": …, "customer_service": …}; null clears a role."""
    incident = get_or_404(Incident, incident_id, what="incident")
    incident_response.set_team(incident, json_body(), actor=api_actor())
    return jsonify({"roles": dict(incident.roles or {})})
