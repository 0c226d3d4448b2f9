"""Helpers shared by the admin API views: ids from paths, lists with limits."""
from __future__ import annotations

from flask import request
from flask_babel import gettext as _

from ..models import ROLE_RANK
from ..outbound import GENERIC_ERROR
from ..services import lookup
from ..services.validation import id_value
from .common import ApiError, api_token


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


def token_is_admin() -> bool:
    """The request's token acts with the admin role (its own role and its user's both admin)."""
    token = api_token()
    return min(ROLE_RANK.get(token.role, -1), ROLE_RANK.get(token.user.role, -1)) >= ROLE_RANK["admin"]


def error_for_reader(error: str | None) -> str | None:
    """Only admins read why an outbound request failed: the detail maps internal networks."""
    if error is None or token_is_admin():
        return error
    return GENERIC_ERROR


def page_number(name: str = "page", maximum: int = 100_000) -> int:
    """A 1-based page number from the query string; anything that is not one (or is absurdly far) is a 400."""
    raw = request.args.get(name)
    if raw in (None, ""):
        return 1
    if not raw.isdigit() or len(raw) > 9 or not 1 <= int(raw) <= maximum:
        raise ApiError(400, "bad_request", _("%(name)s must be a whole number from 1 to %(max)s.", name=name,
                                             max=maximum))
    return int(raw)


def flag(name: str) -> bool:
    value = (request.args.get(name) or "").lower()
    if value not in ("", "0", "1", "true", "false"):
        raise ApiError(400, "bad_request", _("%(name)s must be true or false.", name=name))
    return value in ("1", "true")
