"""/v1/pages/<page_id>/incidents/<id>/postmortem: one Markdown text per incident, a draft until published.
Publishing shows it on the incident page; it is not sent to subscribers (the page is where it lives)."""
from __future__ import annotations

from flask import jsonify

from ..models import Incident
from ..public.serializers import iso
from ..services import lookup
from ..services.incidents import save_postmortem
from ..services.validation import text
from . import route
from .common import actor, body, not_found, require_role, wrapped

BODY_MAX = 50000


def _incident_or_404(incident_id: str) -> Incident:
    item = lookup.find(Incident, incident_id)
    if item is None:
        raise not_found("incident")
    return item


def _postmortem(item: Incident) -> dict:
    published = item.postmortem_published_at is not None
    return {"preview_key": None, "body": item.postmortem_body if published else None, "body_updated_at": None,
            "body_draft": item.postmortem_body, "body_draft_updated_at": iso(item.updated_at),
            "published_at": iso(item.postmortem_published_at), "notify_subscribers": False, "notify_twitter": False,
            "custom_tweet": None, "created_at": iso(item.created_at), "updated_at": iso(item.updated_at)}


@route("/pages/<page_id>/incidents/<incident_id>/postmortem", ["GET"])
@require_role("viewer")
def postmortem_get(incident_id):
    item = _incident_or_404(incident_id)
    if not item.postmortem_body:
        raise not_found("postmortem")
    return jsonify(_postmortem(item))


@route("/pages/<page_id>/incidents/<incident_id>/postmortem", ["PUT"])
@require_role("responder")
def postmortem_save(incident_id):
    item = _incident_or_404(incident_id)
    draft = text(wrapped(body(), "postmortem"), "body_draft", BODY_MAX, required=True)
    save_postmortem(item, draft, None, actor=actor())
    return jsonify(_postmortem(item))


@route("/pages/<page_id>/incidents/<incident_id>/postmortem/publish", ["PUT"])
@require_role("responder")
def postmortem_publish(incident_id):
    item = _incident_or_404(incident_id)
    if not item.postmortem_body:
        raise not_found("postmortem")
    save_postmortem(item, item.postmortem_body, True, actor=actor())
    return jsonify(_postmortem(item))


@route("/pages/<page_id>/incidents/<incident_id>/postmortem/revert", ["PUT"])
@require_role("responder")
def postmortem_revert(incident_id):
    item = _incident_or_404(incident_id)
    save_postmortem(item, item.postmortem_body, False, actor=actor())
    return jsonify(_postmortem(item))


@route("/pages/<page_id>/incidents/<incident_id>/postmortem", ["DELETE"])
@require_role("responder")
def postmortem_delete(incident_id):
    item = _incident_or_404(incident_id)
    save_postmortem(item, "", False, actor=actor())
    return "", 204
