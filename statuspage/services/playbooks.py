"""Playbooks: named notices with {placeholders} and per-locale text that fill the incident form."""
from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import IMPACTS, INCIDENT_STATUSES, Setting, Playbook
from . import audit
from .audit import Actor
from .snapshots import template_dict
from .validation import ValidationError, choice, int_list, text

PLACEHOLDERS = ("hotline", "support_email", "workaround", "eta")
LOCALES = ("en", "zh_Hans")
_PLACEHOLDER = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")


def site_placeholder_defaults() -> dict:
    """Site-wide values (Settings → placeholders) used when a playbook has none."""
    row = db.session.get(Setting, "placeholders")
    return dict(row.value) if row is not None and isinstance(row.value, dict) else {}


def save_site_placeholder_defaults(values: dict, *, actor: Actor) -> None:
    row = db.session.get(Setting, "placeholders")
    before = dict(row.value) if row is not None and isinstance(row.value, dict) else {}
    clean = {k: str(values.get(k) or "").strip()[:500] for k in PLACEHOLDERS}
    if row is None:
        db.session.add(Setting(key="placeholders", value=clean))
    else:
        row.value = clean
    audit.record("update", "setting", "placeholders", actor=actor, before=before, after=clean)
    db.session.commit()


def fill(template_text: str, values: dict) -> str:
    """Replace the placeholders that have a value (an empty value on purpose too); others stay visible."""
    def value(match):
        key = match.group(1)
        return str(values[key]) if key in values and values[key] is not None else match.group(0)

    return _PLACEHOLDER.sub(value, template_text or "")


def unfilled_placeholders(*texts: str) -> list[str]:
    """Placeholders still in a notice: customers must never read "{hotline}"."""
    found = []
    for text_ in texts:
        found += [m.group(0) for m in _PLACEHOLDER.finditer(text_ or "")]
    return list(dict.fromkeys(found))


def filled_texts(template: Playbook, values: dict | None = None) -> dict:
    """{"en": {"title", "body"}, "zh_Hans": {...}} with placeholders filled.

    A value typed now wins over the playbook's default, which wins over the
    site's; a playbook default that is empty on purpose (an optional
    {workaround}) fills in as nothing.
    """
    site = {k: v for k, v in site_placeholder_defaults().items() if v}
    merged = {**site, **{k: v for k, v in (template.defaults or {}).items() if v or k not in site},
              **{k: v for k, v in (values or {}).items() if v}}
    out = {}
    for locale, parts in (template.texts or {}).items():
        out[locale] = {"title": fill(parts.get("title", ""), merged), "body": fill(parts.get("body", ""), merged)}
    return out


def clean_template(data: dict) -> dict:
    texts = {}
    for locale in LOCALES:
        title = text(data, f"title_{locale}", 300, required=locale == "en")
        body = text(data, f"body_{locale}", 20000, required=locale == "en")
        if title or body:
            texts[locale] = {"title": title, "body": body}
    return {
        "name": text(data, "name", 200, required=True),
        "impact": choice(data, "impact", IMPACTS, default="minor"),
        "status": choice(data, "status", INCIDENT_STATUSES, default="investigating"),
        "texts": texts,
        "defaults": {k: text(data, k, 500) for k in PLACEHOLDERS},
        "component_ids": int_list(data, "component_ids"),
    }


def live_templates() -> list[Playbook]:
    return list(db.session.scalars(select(Playbook).where(Playbook.deleted_at.is_(None)).order_by(Playbook.name)))


def save_template(fields: dict, template: Playbook | None = None, *, actor: Actor) -> Playbook:
    clash = db.session.scalars(select(Playbook).where(Playbook.name == fields["name"])).first()
    if clash is not None and clash is not template:
        raise ValidationError({"name": _("A playbook with this name exists (perhaps in the trash).")})
    before = template_dict(template) if template else None
    if template is None:
        template = Playbook()
        db.session.add(template)
    for key, value in fields.items():
        setattr(template, key, value)
    db.session.flush()
    audit.record("update" if before else "create", "template", template.id, actor=actor, before=before,
                 after=template_dict(template), summary=template.name)
    db.session.commit()
    return template


DEMO_NAME = "CRM withdrawal requests failing: call the hotline"


def ensure_demo_templates(component_ids: list[int] | None = None) -> Playbook:
    """The demo playbook for the worst hour: withdrawals failing, with the manual workaround."""
    existing = db.session.scalars(select(Playbook).where(Playbook.name == DEMO_NAME)).first()
    if existing is not None:
        return existing
    template = Playbook(
        name=DEMO_NAME, impact="major", status="identified",
        texts={
            "en": {"title": "Withdrawal requests in the CRM are failing",
                   "body": ("Withdrawal requests submitted in the CRM are currently failing. Your funds are safe.\n\n"
                            "**What to do now:** call our hotline {hotline} or email {support_email} and we will "
                            "process your withdrawal by hand. {workaround}\n\n"
                            "We expect a fix by {eta} and will post an update here.")},
            "zh_Hans": {"title": "CRM 出金申请失败",
                        "body": ("目前在 CRM 中提交的出金申请失败。您的资金安全。\n\n"
                                 "**现在怎么办：** 请拨打热线 {hotline} 或发邮件至 {support_email}，"
                                 "我们将人工为您处理出金。{workaround}\n\n"
                                 "预计在 {eta} 前修复，我们会在此发布更新。")},
        },
        defaults={"hotline": "400-820-8820", "support_email": "support@example.com",
                  "workaround": "", "eta": "18:00 UTC"},
        component_ids=list(component_ids or []))
    db.session.add(template)
    db.session.flush()
    return template
