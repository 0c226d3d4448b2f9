"""Statuspage-compatible public API v2, for the main page and under `/t/<slug>/`."""
from __future__ import annotations

import json

from flask import Blueprint, abort, request

from ..cache import cached_response, data_changed_at
from ..models import utcnow
from ..services import status as site_status
from ..services import visibility as vis
from . import serializers as ser
from .access import Scope, resolve_scope
from .rendering import cache_parts

bp = Blueprint("api_v2", __name__)

RECENT_LIMIT = 50
JSON = "application/json"


@bp.after_request
def _allow_cross_origin(resp):
    # Statuspage's public API answers any origin, so status widgets on other sites work.
    resp.headers["Access-Control-Allow-Origin"] = "*"
    return resp


def _route(name: str):
    def register(fn):
        endpoint = fn.__name__
        bp.add_url_rule(f"/api/v2/{name}", endpoint, fn, defaults={"slug": None}, methods=["GET"])
        bp.add_url_rule(f"/t/<slug>/api/v2/{name}", endpoint, fn, methods=["GET"])
        return fn
    return register


def _answer(slug: str | None, build):
    """Check the Accept header and access, then serve `build(scope)` as cached JSON."""
    # No Accept header means anything goes; one that rules JSON out gets a 406.
    if request.accept_mimetypes and request.accept_mimetypes.best_match([JSON]) is None:
        abort(406)
    scope = resolve_scope(slug)

    def render() -> bytes:
        return json.dumps(build(scope), ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    return cached_response(("json", *cache_parts(scope)), render, mimetype=JSON, private=scope.private,
                           tenant_id=scope.viewer.tenant_id)


def _page(scope: Scope) -> dict:
    return ser.page(scope, data_changed_at(scope.viewer.tenant_id) or utcnow())


def _indicator(scope: Scope) -> str:
    return site_status.overall_indicator(vis.visible_components(scope.viewer, for_display=False),
                                         vis.active_incidents(scope.viewer))


def _incidents(scope: Scope, items) -> list[dict]:
    visible = vis.visible_component_ids(scope.viewer)
    return [ser.incident(scope, i, visible) for i in items]


def _maintenances_now(scope: Scope) -> list:
    now = utcnow()
    return vis.active_maintenances(scope.viewer, now) + vis.upcoming_maintenances(scope.viewer, now)


@_route("summary.json")
def summary(slug):
    def build(scope: Scope) -> dict:
        comps = vis.visible_components(scope.viewer, for_display=False)
        active = vis.active_incidents(scope.viewer)
        visible = {c.id for c in comps}
        return {
            "page": _page(scope),
            "components": ser.components(scope, comps),
            "incidents": [ser.incident(scope, i, visible) for i in active],
            "scheduled_maintenances": [ser.incident(scope, m, visible) for m in _maintenances_now(scope)],
            "status": ser.status(site_status.overall_indicator(comps, active)),
        }

    return _answer(slug, build)


@_route("status.json")
def status(slug):
    return _answer(slug, lambda scope: {"page": _page(scope), "status": ser.status(_indicator(scope))})


@_route("components.json")
def components(slug):
    return _answer(slug, lambda scope: {
        "page": _page(scope),
        "components": ser.components(scope, vis.visible_components(scope.viewer, for_display=False)),
    })


@_route("incidents.json")
def incidents(slug):
    return _answer(slug, lambda scope: {
        "page": _page(scope), "incidents": _incidents(scope, vis.recent_incidents(scope.viewer, RECENT_LIMIT))})


@_route("incidents/unresolved.json")
def incidents_unresolved(slug):
    return _answer(slug, lambda scope: {
        "page": _page(scope), "incidents": _incidents(scope, vis.active_incidents(scope.viewer))})


@_route("scheduled-maintenances.json")
def maintenances(slug):
    return _answer(slug, lambda scope: {
        "page": _page(scope),
        "scheduled_maintenances": _incidents(scope, vis.recent_incidents(scope.viewer, RECENT_LIMIT, "maintenance"))})


@_route("scheduled-maintenances/upcoming.json")
def maintenances_upcoming(slug):
    return _answer(slug, lambda scope: {
        "page": _page(scope),
        "scheduled_maintenances": _incidents(scope, vis.upcoming_maintenances(scope.viewer, utcnow()))})


@_route("scheduled-maintenances/active.json")
def maintenances_active(slug):
    return _answer(slug, lambda scope: {
        "page": _page(scope),
        "scheduled_maintenances": _incidents(scope, vis.active_maintenances(scope.viewer, utcnow()))})
