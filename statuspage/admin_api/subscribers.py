"""Admin API: subscribers (`/api/admin/v1/subscribers`), CSV import and export."""
from __future__ import annotations

import io

from flask import Response, jsonify, request
from flask_babel import gettext as _

from ..services import subscriptions as subs
from ..services.subscriber_import import export_csv, import_csv_stream
from ..services.subscriptions import subscriber_json as serialize
from . import bp
from .common import ApiError, api_actor, json_body, require_role
from .helpers import page_number, token_is_admin


def _subscriber_or_404(subscriber_id: int):
    sub = subs.get_subscriber(subscriber_id)
    if sub is None:
        raise ApiError(404, "not_found", _("No subscriber with id %(id)s.", id=subscriber_id))
    return sub


def _invalid(exc: subs.SubscriptionError) -> ApiError:
    if exc.status == 403:
        return ApiError(403, "forbidden", exc.message)
    field = exc.field or "subscriber"
    return ApiError(422, "invalid", f"{field}: {exc.message}", {field: exc.message})


@bp.get("/subscribers")
@require_role("responder")
def list_subscribers():
    page = page_number()
    per_page = min(500, page_number("per_page", maximum=10**6)) if request.args.get("per_page") else 100
    try:
        items, total = subs.search_subscribers(
            deleted=request.args.get("deleted") in ("1", "true"), channel=request.args.get("channel"),
            tenant_slug=request.args.get("tenant"), text=request.args.get("q"),
            test_audience=request.args.get("test_audience") in ("1", "true"), page=page, per_page=per_page)
    except subs.SubscriptionError as exc:
        raise _invalid(exc) from None
    return jsonify({"subscribers": [serialize(s) for s in items], "page": page, "per_page": per_page,
                    "total": total})


@bp.get("/subscribers/<int:subscriber_id>")
@require_role("responder")
def get_subscriber(subscriber_id: int):
    return jsonify(serialize(_subscriber_or_404(subscriber_id)))


@bp.post("/subscribers")
@require_role("responder")
def create_subscriber():
    data = json_body()
    given = [k for k in ("email", "phone", "webhook_url", "chat") if data.get(k)]
    if len(given) != 1:
        raise ApiError(422, "invalid", _("Give exactly one of email, phone, webhook_url or chat."))
    for key in ("confirmed", "test_audience"):
        if key in data and not isinstance(data[key], bool):
            raise ApiError(422, "invalid", f"{key}: must be true or false", {key: "must be true or false"})
    value = data["chat"] if given[0] == "chat" else str(data[given[0]])
    try:
        sub, secret = subs.add_subscriber(
            channel_field=given[0], value=value, tenant_slug=data.get("tenant"),
            component_ids=data.get("component_ids") or [], locale=data.get("locale"),
            confirmed=data.get("confirmed"), test_audience=bool(data.get("test_audience", False)),
            actor=api_actor(), admin=token_is_admin())
    except subs.SubscriberExists as exc:
        raise ApiError(409, "conflict", exc.message, {"id": exc.existing.id}) from None
    except subs.SubscriptionError as exc:
        raise _invalid(exc) from None
    body = serialize(sub)
    if secret:
        body["webhook_secret"] = secret  # shown once; signs every webhook POST
    return jsonify(body), 201


@bp.delete("/subscribers/<int:subscriber_id>")
@require_role("admin")
def delete_subscriber(subscriber_id: int):
    return jsonify(serialize(subs.set_subscriber_deleted(_subscriber_or_404(subscriber_id), True, api_actor())))


@bp.post("/subscribers/<int:subscriber_id>/restore")
@require_role("admin")
def restore_subscriber(subscriber_id: int):
    return jsonify(serialize(subs.set_subscriber_deleted(_subscriber_or_404(subscriber_id), False, api_actor())))


@bp.post("/subscribers/import")
@require_role("admin")
def import_subscribers():
    """CSV in the body (text/csv) or as the multipart field `file`; all-or-nothing unless ?partial=1."""
    partial = request.args.get("partial") in ("1", "true", "yes")
    upload = request.files.get("file")
    raw = upload.stream if upload is not None else request.stream
    if upload is None and not request.content_length:
        raise ApiError(400, "bad_request", _("Send the CSV file as the request body or as the form field 'file'."))
    text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
    report = import_csv_stream(text, partial=partial, actor=api_actor())
    return jsonify(report.as_dict()), 200 if report.committed else 422


@bp.get("/subscribers/export")
@require_role("admin")
def export_subscribers():
    out = io.StringIO()
    export_csv(out, actor=api_actor())
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=subscribers.csv"})
