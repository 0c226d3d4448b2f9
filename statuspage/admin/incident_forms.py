"""Turn the incident, update and maintenance forms into the same dicts the admin API takes."""
from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l

from ..models import COMPONENT_STATUSES
from ..services.playbooks import PLACEHOLDERS, filled_texts
from ..services.validation import id_value
from .access import checkbox

VISIBILITY_LABELS = {"public": _l("Public"), "tenants": _l("Tenants only"), "drill": _l("Drill (admins and test audience)")}


def _components_from_form(form) -> dict:
    """`component_<id>` selects: empty means not affected."""
    out = {}
    for key, value in form.items():
        if key.startswith("component_") and value:
            cid = id_value(key[len("component_"):])
            if cid:
                out[str(cid)] = value if value in COMPONENT_STATUSES else "?"
    return out


def _translation(form, field: str) -> dict:
    value = (form.get(f"{field}_zh_Hans") or "").strip()
    return {"zh_Hans": value} if value else {}


def incident_data(form=None) -> dict:
    form = form if form is not None else request.form
    return {
        "name": form.get("name", ""),
        "name_translations": _translation(form, "name"),
        "impact": form.get("impact", "minor"),
        "status": form.get("status", "investigating"),
        "body": form.get("body", ""),
        "body_translations": _translation(form, "body"),
        "components": _components_from_form(form),
        "tenant_slugs": form.getlist("tenant_slugs"),
        "visibility": form.get("visibility", "public"),
        "draft": checkbox("draft"),
        "deliver_notifications": checkbox("deliver_notifications"),
    }


def update_data(form=None) -> dict:
    form = form if form is not None else request.form
    return {"status": form.get("status", ""), "body": form.get("body", ""),
            "body_translations": _translation(form, "body"), "components": _components_from_form(form),
            "deliver_notifications": checkbox("deliver_notifications")}


def form_from_template(template, args) -> dict:
    """The new-incident form as a playbook fills it (values typed next to the playbook win)."""
    values = {k: (args.get(k) or "").strip()[:500] for k in PLACEHOLDERS}
    texts = filled_texts(template, values)
    en = texts.get("en", {})
    zh = texts.get("zh_Hans", {})
    form = {"name": en.get("title", ""), "body": en.get("body", ""), "name_zh_Hans": zh.get("title", ""),
            "body_zh_Hans": zh.get("body", ""), "impact": template.impact, "status": template.status,
            "visibility": "public", "deliver_notifications": "on"}
    for cid in template.component_ids or []:
        form[f"component_{cid}"] = "partial_outage" if template.impact in ("major", "critical") else "degraded_performance"
    return form


class FormValues(dict):
    """A dict that also answers `getlist`, so templates read request.form and prefilled dicts alike."""

    def getlist(self, key):
        value = self.get(key)
        if value is None:
            return []
        return value if isinstance(value, list) else [value]
