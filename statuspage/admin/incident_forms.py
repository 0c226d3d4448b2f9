"""Turn the incident, update and maintenance forms into the same dicts the admin API takes."""
from __future__ import annotations

import hashlib
import secrets

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..models import COMPONENT_STATUSES
from ..services.playbooks import PLACEHOLDERS, fill, placeholder_errors, placeholder_values
from ..services.validation import ValidationError, id_value
from .access import checkbox

AUDIENCES = ("everyone", "tenants")
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
        "severity": form.get("severity", ""),
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


def new_post_token() -> str:
    """The one-time token a form that posts an incident or an update carries (see services/idempotency.py)."""
    return secrets.token_urlsafe(24)


def audience_of(form) -> str | None:
    """"everyone" or "tenants" as the operator chose it; None when nothing was chosen.

    Forms that predate the choice (and scripts) that name tenants mean those tenants.
    """
    chosen = form.get("audience")
    if chosen in AUDIENCES:
        return chosen
    if chosen is None and form.getlist("tenant_slugs"):
        return "tenants"
    return None


def check_audience(form) -> None:
    """The audience is an explicit choice: nobody reaches everyone by leaving the tenant boxes empty."""
    audience = audience_of(form)
    if audience is None:
        raise ValidationError({"audience": _("Choose who this is for: everyone, or only the tenants you tick.")})
    if audience == "tenants" and not form.getlist("tenant_slugs"):
        raise ValidationError({"tenant_slugs": _("Tick at least one tenant, or choose everyone.")})
    if audience == "everyone" and form.getlist("tenant_slugs"):
        raise ValidationError({"tenant_slugs": _("You chose everyone but ticked tenants: untick them, "
                                                 "or choose the named tenants.")})


def incident_form_values(form) -> "FormValues":
    """What the operator has typed so far, as a FormValues (several tenants stay a list)."""
    out = FormValues()
    for key in form.keys():
        values = form.getlist(key)
        out[key] = values if key == "tenant_slugs" else values[-1]
    return out


def apply_playbook(template, typed, *, now, zone: str) -> tuple["FormValues", dict]:
    """The new-incident form with the playbook applied, and the placeholder errors.

    What the operator already typed stays (title, message, audience, tenants,
    component statuses); the playbook fills what is empty, sets impact and
    status and adds its usual components. Required placeholders without a
    value and an ETA that has passed leave the texts unfilled, with errors.
    """
    form = FormValues(typed)
    form.setdefault("deliver_notifications", "on")
    typed_values = {k: (typed.get(k) or "").strip()[:500] for k in PLACEHOLDERS}
    values = placeholder_values(template, typed_values)
    form.update(values)
    errors = placeholder_errors(template, values, now=now, zone=zone)
    form["impact"], form["status"] = template.impact, template.status
    for cid in template.component_ids or []:
        if not form.get(f"component_{cid}"):
            form[f"component_{cid}"] = ("partial_outage" if template.impact in ("major", "critical")
                                        else "degraded_performance")
    if errors:
        return form, errors
    optional = set(template.optional_placeholders or [])
    usable = {k: v for k, v in values.items() if v or k in optional}
    texts = template.texts or {}
    for field, locale, part in PLAYBOOK_FIELDS:
        current = (form.get(field) or "").strip()
        # Empty, or still exactly what a playbook put there: the playbook's to (re)fill, so a hotline
        # or ETA changed after a first fill reaches the text. Anything the operator edited stays.
        if not current or typed.get(f"filled_{field}") == text_fingerprint(current):
            form[field] = fill(texts.get(locale, {}).get(part, ""), usable)
            form[f"filled_{field}"] = text_fingerprint(form[field])
    return form, {}


# (form field, locale, part of the playbook's text) that applying a playbook may fill.
PLAYBOOK_FIELDS = (("name", "en", "title"), ("body", "en", "body"),
                   ("name_zh_Hans", "zh_Hans", "title"), ("body_zh_Hans", "zh_Hans", "body"))


def text_fingerprint(text: str) -> str:
    """A short digest of a text as a playbook filled it (line endings as a browser sends them back)."""
    normal = "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").strip().split("\n"))
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()[:20]


class FormValues(dict):
    """A dict that also answers `getlist`, so templates read request.form and prefilled dicts alike."""

    def getlist(self, key):
        value = self.get(key)
        if value is None:
            return []
        return value if isinstance(value, list) else [value]
