"""Atlassian Statuspage's manage API v1, under /v1: a script written for api.statuspage.io/v1 works by
changing its base URL. OAuth token auth with the admin API's tokens; every write goes through the
same services as the admin pages (audit, fan-out, soft delete, idempotency)."""
from __future__ import annotations

from flask import Blueprint
from werkzeug.exceptions import HTTPException

from ..extensions import db
from ..services.page_profile import page_id
from ..services.validation import ValidationError
from .common import ManageApiError, finish_idempotent, require_role

bp = Blueprint("manage_api", __name__)
bp.after_request(finish_idempotent)


def route(rule: str, methods: list[str]):
    """Register `rule` with and without the `.json` suffix, as api.statuspage.io answers both."""

    def register(fn):
        for path in (rule, rule + ".json"):
            bp.add_url_rule(path, fn.__name__, fn, methods=methods)
        return fn

    return register


@bp.url_value_preprocessor
def _strip_json_suffix(_endpoint, values):
    for name, value in (values or {}).items():
        if isinstance(value, str) and value.endswith(".json"):
            values[name] = value[:-5]


@bp.after_request
def _never_cached(resp):
    resp.headers.setdefault("Cache-Control", "no-store")
    return resp


@bp.errorhandler(ManageApiError)
def _manage_error(exc: ManageApiError):
    return exc.response()


@bp.errorhandler(ValidationError)
def _invalid(exc: ValidationError):
    # Nothing of a refused request may reach a later commit in the same session.
    db.session.rollback()
    return ManageApiError(422, "; ".join(f"{k} {v}" for k, v in exc.errors.items())).response()


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    return ManageApiError(exc.code or 500, exc.description or exc.name).response()


@bp.route("/<path:unknown>", methods=["GET", "POST", "PATCH", "PUT", "DELETE"])
@require_role("viewer")
def not_offered(unknown):
    """A v1 path this server does not offer (metrics, page access users, ...) answers in JSON like the rest."""
    raise ManageApiError(404, "This server does not offer that Statuspage API path; its README lists the v1 "
                              "paths it supports.")


@bp.app_template_global("statuspage_page_id")
def _page_id_for_templates() -> str:
    """The page id scripts put in /v1/pages/<id>/...; the admin Settings page shows it."""
    return page_id()


from . import access_groups, components, incidents, pages, postmortems, subscribers, templates  # noqa: E402,F401
