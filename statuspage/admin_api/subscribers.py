"""Admin API: subscribers (`/api/admin/v1/subscribers`), CSV import and export."""
from __future__ import annotations

import io
import secrets

from flask import Response, jsonify, request
from flask_babel import gettext as _
from ..extensions import db
from ..models import Subscriber
from ..services import audit
from ..services import subscriptions as subs
from ..services.subscriber_import import export_csv, import_csv_stream
from . import bp
from .common import ApiError, json_body, require_role


def serialize(sub: Subscriber) -> dict:
    return {
        "id": sub.id,
        "channel": sub.channel,
        "email": sub.address if sub.channel == "email" else None,
        "phone": sub.address if sub.channel == "sms" else None,
        "webhook_url": sub.address if sub.channel == "webhook" else None,
        "tenant": sub.tenant.slug if sub.tenant else None,
        "component_ids": sorted(c.id for c in sub.components),
        "all_components": sub.all_components,
        "locale": sub.locale,
        "confirmed": sub.confirmed,
        "opted_out": sub.opted_out,
        "test_audience": sub.test_audience,
        "source": sub.source,
        "created_at": sub.created_at.isoformat() if sub.created_at else None,
        "deleted_at": sub.deleted_at.isoformat() if sub.deleted_at else None,
    }


def _subscriber_or_404(subscriber_id: int) -> Subscriber:
    sub = db.session.get(Subscriber, subscriber_id)
    if sub is None:
        raise ApiError(404, "not_found", _("No subscriber with id %(id)s.", id=subscriber_id))
    return sub


def _invalid(exc: subs.SubscriptionError) -> ApiError:
    field = exc.field or "subscriber"
    return ApiError(422, "invalid", f"{field}: {exc.message}", {field: exc.message})


@bp.get("/subscribers")
@require_role("responder")
def list_subscribers():
    q = db.session.query(Subscriber)
    if request.args.get("deleted") not in ("1", "true"):
        q = q.filter(Subscriber.deleted_at.is_(None))
    if request.args.get("channel"):
        q = q.filter(Subscriber.channel == request.args["channel"])
    if request.args.get("tenant"):
        tenant = _tenant(request.args["tenant"])
        q = q.filter(Subscriber.tenant_id == (tenant.id if tenant else None))
    if request.args.get("q"):
        q = q.filter(Subscriber.address.contains(request.args["q"].strip().lower()))
    if request.args.get("test_audience") in ("1", "true"):
        q = q.filter(Subscriber.test_audience.is_(True))
    page = max(1, request.args.get("page", 1, type=int) or 1)
    per_page = min(500, max(1, request.args.get("per_page", 100, type=int) or 100))
    total = q.count()
    items = q.order_by(Subscriber.id).offset((page - 1) * per_page).limit(per_page).all()
    return jsonify({"subscribers": [serialize(s) for s in items], "page": page, "per_page": per_page,
                    "total": total})


def _tenant(slug):
    try:
        return subs.find_tenant(slug)
    except subs.SubscriptionError as exc:
        raise _invalid(exc) from None


@bp.get("/subscribers/<int:subscriber_id>")
@require_role("responder")
def get_subscriber(subscriber_id: int):
    return jsonify(serialize(_subscriber_or_404(subscriber_id)))


@bp.post("/subscribers")
@require_role("responder")
def create_subscriber():
    from .. import normalize_locale

    data = json_body()
    given = [k for k in ("email", "phone", "webhook_url") if data.get(k)]
    if len(given) != 1:
        raise ApiError(422, "invalid", _("Give exactly one of email, phone or webhook_url."))
    for key in ("confirmed", "test_audience"):
        if key in data and not isinstance(data[key], bool):
            raise ApiError(422, "invalid", f"{key}: must be true or false", {key: "must be true or false"})
    try:
        value = str(data[given[0]])
        if given[0] == "email":
            channel, address = "email", subs.normalize_email(value)
        elif given[0] == "phone":
            channel, address = "sms", subs.normalize_phone(value, check_country=False)
        else:
            channel, address = "webhook", _webhook_url(value)
        tenant = subs.find_tenant(data.get("tenant"))
        components = subs.find_components(data.get("component_ids") or [])
    except subs.SubscriptionError as exc:
        raise _invalid(exc) from None
    locale = normalize_locale(data.get("locale")) if data.get("locale") else "en"
    if locale is None:
        raise ApiError(422, "invalid", "locale: use en or zh_Hans", {"locale": "use en or zh_Hans"})
    existing = subs.find_subscriber(channel, address, tenant.id if tenant else None)
    if existing is not None and existing.deleted_at is None:
        raise ApiError(409, "conflict", _("This subscriber exists already (id %(id)s).", id=existing.id),
                       {"id": existing.id})
    sub = existing or Subscriber(channel=channel, address=address, tenant_id=tenant.id if tenant else None,
                                 token=secrets.token_urlsafe(24))
    sub.deleted_at = None
    sub.source = "admin"
    sub.locale = locale
    sub.components = components
    sub.all_components = not components
    sub.test_audience = bool(data.get("test_audience", False))
    confirmed = bool(data.get("confirmed", channel == "webhook"))
    sub.confirmed = confirmed
    sub.confirmed_at = subs.utcnow() if confirmed else None
    secret = None
    if channel == "webhook":
        secret = secrets.token_hex(32)
        sub.webhook_secret = secret
    db.session.add(sub)
    db.session.flush()
    if not confirmed:
        subs.send_confirmation(sub)
    audit.record("subscriber.create", "subscriber", sub.id, after=serialize(sub),
                 summary=f"Added {channel} subscriber {address}")
    db.session.commit()
    body = serialize(sub)
    if secret:
        body["webhook_secret"] = secret  # shown once; signs every webhook POST
    return jsonify(body), 201


def _webhook_url(value: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise subs.SubscriptionError(_("A webhook URL must start with https:// (or http://)."), field="webhook_url")
    return value.strip()


def _toggle_deleted(subscriber_id: int, delete: bool):
    """Soft delete or restore, with an audit entry; repeating it changes nothing."""
    sub = _subscriber_or_404(subscriber_id)
    if (sub.deleted_at is None) == delete:
        before = serialize(sub)
        sub.soft_delete() if delete else sub.restore()
        verb = "delete" if delete else "restore"
        audit.record(f"subscriber.{verb}", "subscriber", sub.id, before=before, after=serialize(sub),
                     summary=f"{verb.capitalize()}d subscriber {sub.address}")
        db.session.commit()
    return jsonify(serialize(sub))


@bp.delete("/subscribers/<int:subscriber_id>")
@require_role("admin")
def delete_subscriber(subscriber_id: int):
    return _toggle_deleted(subscriber_id, delete=True)


@bp.post("/subscribers/<int:subscriber_id>/restore")
@require_role("admin")
def restore_subscriber(subscriber_id: int):
    return _toggle_deleted(subscriber_id, delete=False)


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
    report = import_csv_stream(text, partial=partial)
    if report.committed:
        audit.record("subscriber.import", "subscriber", None, after={k: v for k, v in report.as_dict().items() if k != "errors"},
                     summary=f"Imported subscribers: {report.added} added, {report.updated} updated, "
                             f"{report.rejected} rejected")
        db.session.commit()
    return jsonify(report.as_dict()), 200 if report.committed else 422


@bp.get("/subscribers/export")
@require_role("admin")
def export_subscribers():
    out = io.StringIO()
    count = export_csv(out)
    audit.record("subscriber.export", "subscriber", None, summary=f"Exported {count} subscribers")
    db.session.commit()
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=subscribers.csv"})
