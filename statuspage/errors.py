"""One place that turns errors into a plain page or a JSON error, never a stack trace."""
from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from .extensions import db

MESSAGES = {
    400: lambda: _("The request could not be understood. Please check what you sent."),
    401: lambda: _("Please sign in to continue."),
    403: lambda: _("You do not have permission to do that."),
    404: lambda: _("We could not find that page."),
    405: lambda: _("That method is not allowed here."),
    406: lambda: _("We cannot answer in the format you asked for."),
    409: lambda: _("That conflicts with something already stored."),
    413: lambda: _("What you sent is too large."),
    415: lambda: _("That content type is not supported here."),
    422: lambda: _("Some of what you sent is not valid."),
    429: lambda: _("Too many requests. Please wait a moment and try again."),
    500: lambda: _("Something went wrong on our side. Nothing you sent was lost; please try again."),
    503: lambda: _("The service is temporarily unavailable. Please try again shortly."),
}

CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         406: "not_acceptable", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
         422: "invalid", 429: "rate_limited", 500: "internal_error", 503: "unavailable"}


def wants_json() -> bool:
    path = request.path
    if path.startswith("/api/") or path.endswith(".json") or "/api/v2/" in path:
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def error_response(status: int, message: str | None = None, code: str | None = None):
    message = message or MESSAGES.get(status, MESSAGES[500])()
    code = code or CODES.get(status, "error")
    if wants_json():
        resp = jsonify({"error": {"code": code, "message": message}})
        resp.status_code = status
        return resp
    try:
        return render_template("error.html", status=status, message=message), status
    except Exception:  # a broken template must not hide the error itself
        return f"{status}: {message}\n", status, {"Content-Type": "text/plain; charset=utf-8"}


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        status = exc.code or 500
        description = getattr(exc, "api_message", None)
        resp = error_response(status, description)
        if status == 405 and getattr(exc, "valid_methods", None):
            resp = app.make_response(resp)
            resp.headers["Allow"] = ", ".join(exc.valid_methods)
        if status == 429:
            resp = app.make_response(resp)
            resp.headers.setdefault("Retry-After", "60")
        return resp

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        try:
            db.session.rollback()
        except Exception:
            pass
        if isinstance(exc, OperationalError) or (isinstance(exc, DBAPIError) and exc.connection_invalidated):
            app.logger.error("database unavailable: %s", exc)
            return error_response(503)
        app.logger.exception("unhandled error", exc_info=exc)
        return error_response(500)

    app.register_error_handler(InternalServerError, lambda e: error_response(500))
