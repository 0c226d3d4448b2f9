"""The admin JSON API, /api/admin/v1: token auth, JSON errors, documented in openapi.json."""
from flask import Blueprint
from flask_babel import gettext as _

from ..extensions import db
from ..services.validation import ValidationError
from .common import ApiError, finish_idempotent

bp = Blueprint("api", __name__)
bp.after_request(finish_idempotent)


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    return exc.response()


@bp.errorhandler(ValidationError)
def _invalid(exc: ValidationError):
    # Nothing of a refused request may reach a later commit in the same session.
    db.session.rollback()
    return ApiError(422, "invalid", "; ".join(f"{k}: {v}" for k, v in exc.errors.items()), exc.errors).response()


@bp.url_value_preprocessor
def _ids_in_range(_endpoint, values):
    """An id beyond the database's integer range is simply not there (rather than a driver error)."""
    for name, value in (values or {}).items():
        if isinstance(value, int) and not 0 < value < 2**31:
            raise ApiError(404, "not_found", _("No object with %(name)s %(value)s.", name=name, value=value))


from . import (  # noqa: E402,F401
    catalog, deliveries, helpers, incidents, integrations, openapi, response, subscribers, upstreams)
