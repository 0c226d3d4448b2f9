"""Trash, audit log, and the configuration export/import."""
from __future__ import annotations

import io
import json

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..csv_safe import SafeWriter
from ..models import AuditEntry, utcnow
from ..services import audit, export_import, trash
from ..services.validation import ValidationError, id_value
from . import bp
from .access import acting, flash_errors, require_role, role_required


@bp.get("/trash")
@role_required("viewer")
def trash_view():
    return render_template("admin/trash.html", items=trash.trash_items())


@bp.post("/trash/<kind>/<object_id>")
@role_required("responder")
def trash_action(kind, object_id):
    obj = trash.get_object(kind, id_value(object_id), deleted=True)
    if obj is None:
        abort(404)
    action = request.form.get("action")
    if action == "restore":
        if kind in ("component", "group", "tenant", "subscriber"):
            require_role("admin")
        trash.restore(kind, obj, actor=acting())
        flash(_("Restored."), "info")
    elif action == "purge":
        require_role("admin")
        try:
            trash.purge(kind, obj, request.form.get("confirm", ""), actor=acting())
            flash(_("Deleted for good."), "info")
        except ValidationError as exc:
            flash_errors(exc)
            return render_template("admin/trash.html", items=trash.trash_items()), 422
    else:
        abort(400)
    return redirect(url_for("admin.trash_view"))


def _audit_filters() -> dict:
    """The page's select boxes name an actor exactly; an old bookmark's free text still matches a part."""
    filters = request.args.to_dict()
    filters["actor_exact"] = bool(filters.get("actor")) and filters.get("actor") in audit.filter_choices()["actor"]
    return filters


def _audit_entries(limit: int, before_id: int | None = None) -> list[AuditEntry]:
    return audit.entries(_audit_filters(), limit, before_id=before_id)


def _entry_row(e: AuditEntry) -> dict:
    return {"id": e.id, "created_at": e.created_at.isoformat(), "actor": e.actor, "via": e.via, "action": e.action,
            "object_type": e.object_type, "object_id": e.object_id, "summary": e.summary,
            "before": e.before, "after": e.after}


AUDIT_PAGE = 200


@bp.get("/audit")
@role_required("admin")
def audit_log():
    fmt = request.args.get("format")
    if fmt == "json":
        rows = [_entry_row(e) for e in _audit_entries(100000)]
        return _download(json.dumps(rows, ensure_ascii=False, indent=1), "application/json", "audit.json")
    if fmt == "csv":
        out = io.StringIO()
        writer = SafeWriter(out)
        writer.writerow(["id", "created_at", "actor", "via", "action", "object_type", "object_id", "summary",
                         "before", "after"])
        for e in _audit_entries(100000):
            row = _entry_row(e)
            writer.writerow([row[k] if k not in ("before", "after") else json.dumps(row[k], ensure_ascii=False)
                             for k in ("id", "created_at", "actor", "via", "action", "object_type", "object_id",
                                       "summary", "before", "after")])
        return _download(out.getvalue(), "text/csv; charset=utf-8", "audit.csv")
    entries = _audit_entries(AUDIT_PAGE + 1, before_id=id_value(request.args.get("before")))
    more = len(entries) > AUDIT_PAGE
    entries = entries[:AUDIT_PAGE]
    args = {k: v for k, v in request.args.items() if k != "before" and v}
    return render_template("admin/audit.html", entries=entries, args=args, choices=audit.filter_choices(),
                           next_before=entries[-1].id if more and entries else None)


def _download(body: str, mimetype: str, filename: str) -> Response:
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/export")
@role_required("admin")
def export_page():
    if request.args.get("download"):
        body = json.dumps(export_import.export_config(), ensure_ascii=False, indent=1)
        stamp = utcnow().strftime("%Y%m%d-%H%M")
        return _download(body, "application/json", f"statuspage-{stamp}.json")
    return render_template("admin/export.html", result=None)


@bp.post("/import")
@role_required("admin")
def import_config():
    upload = request.files.get("file")
    try:
        if upload is None:
            raise ValidationError({"file": _("Choose an export file.")})
        try:
            data = json.loads(upload.read().decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise ValidationError({"file": _("This is not a statuspage export file.")}) from None
        result = export_import.import_config(data, actor=acting())
    except ValidationError as exc:
        flash_errors(exc)
        return render_template("admin/export.html", result=None), 422
    return render_template("admin/export.html", result=result)
