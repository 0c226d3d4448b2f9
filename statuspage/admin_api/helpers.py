"""Helpers shared by the admin API views: ids from paths, lists with limits."""
from __future__ import annotations

from flask import request
from flask_babel import gettext as _

from ..services import lookup
from ..services.validation import id_value
from .common import ApiError


def get_or_404(model, object_id, live: bool = True, what: str = "object"):
    obj = lookup.find(model, object_id, live=live)
    if obj is None:
        raise ApiError(404, "not_found", _("No %(what)s with id %(id)s.", what=what, id=str(object_id)[:40]))
    return obj


def list_limit(default: int = 100, maximum: int = 1000) -> int:
    raw = request.args.get("limit")
    if raw is None:
        return default
    number = id_value(raw)
    if number is None:
        raise ApiError(400, "bad_request", _("%(name)s must be a positive whole number.", name="limit"))
    return min(number, maximum)


def flag(name: str) -> bool:
    value = (request.args.get(name) or "").lower()
    if value not in ("", "0", "1", "true", "false"):
        raise ApiError(400, "bad_request", _("%(name)s must be true or false.", name=name))
    return value in ("1", "true")
