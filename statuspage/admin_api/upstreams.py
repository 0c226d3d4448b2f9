"""Admin API: upstream status feeds (`/api/admin/v1/upstreams`)."""
from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _

from ..models import UpstreamFeed
from ..services import lookup
from ..upstream import registry
from . import bp
from .common import ApiError, api_actor, json_body, require_role
from .helpers import error_for_reader


def _feed_or_404(feed_id: int) -> UpstreamFeed:
    feed = lookup.find(UpstreamFeed, feed_id, live=False)
    if feed is None:
        raise ApiError(404, "not_found", _("No upstream feed with id %(id)s.", id=feed_id))
    return feed


@bp.get("/upstreams")
@require_role("viewer")
def list_upstreams():
    include_deleted = request.args.get("deleted") in ("1", "true")
    return jsonify([_for_reader(registry.snapshot(f)) for f in registry.list_feeds(include_deleted=include_deleted)])


@bp.get("/upstreams/<int:feed_id>")
@require_role("viewer")
def get_upstream(feed_id: int):
    return jsonify(_for_reader(registry.snapshot(_feed_or_404(feed_id))))


def _for_reader(snapshot: dict) -> dict:
    return {**snapshot, "last_error": error_for_reader(snapshot["last_error"])}


@bp.post("/upstreams")
@require_role("admin")
def create_upstream():
    try:
        feed = registry.register_feed(json_body(), actor=api_actor())
    except registry.FeedInvalid as exc:
        raise ApiError(422, "invalid", f"{exc.field}: {exc.message}", {exc.field: exc.message}) from None
    return jsonify(registry.snapshot(feed)), 201


@bp.delete("/upstreams/<int:feed_id>")
@require_role("admin")
def delete_upstream(feed_id: int):
    feed = _feed_or_404(feed_id)
    registry.delete_feed(feed, actor=api_actor())
    return jsonify(registry.snapshot(feed))


@bp.post("/upstreams/<int:feed_id>/restore")
@require_role("admin")
def restore_upstream(feed_id: int):
    feed = _feed_or_404(feed_id)
    registry.restore_feed(feed, actor=api_actor())
    return jsonify(registry.snapshot(feed))
