"""Playbooks: named notices with {placeholders} and per-locale text that fill the incident form."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..models import IMPACTS, INCIDENT_STATUSES, Setting, Playbook
from . import audit
from .audit import Actor
from .snapshots import template_dict
from .validation import ValidationError, choice, int_list, text

PLACEHOLDERS = ("hotline", "support_email", "workaround", "eta")
PLACEHOLDER_LABELS = {"hotline": _l("Hotline phone number"), "support_email": _l("Support email address"),
                      "workaround": _l("What customers can do meanwhile"), "eta": _l("Expected fix time")}
LOCALES = ("en", "zh_Hans")
_PLACEHOLDER = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")
_ETA = re.compile(r"^\s*(?:(\d{4}-\d{1,2}-\d{1,2})[ T]+)?(\d{1,2})[:：](\d{2})\s*(.*?)\s*$")
_OFFSET = re.compile(r"^(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)


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


def placeholders_used(template: Playbook) -> list[str]:
    """The placeholders the playbook's texts use, in the order of PLACEHOLDERS."""
    found = set()
    for parts in (template.texts or {}).values():
        for part in (parts.get("title", ""), parts.get("body", "")):
            found.update(m.group(1) for m in _PLACEHOLDER.finditer(part or ""))
    return [p for p in PLACEHOLDERS if p in found]


def placeholder_values(template: Playbook, typed: dict | None = None) -> dict:
    """What each placeholder of the playbook becomes: typed now, else its default, else the site's."""
    site = site_placeholder_defaults()
    defaults = template.defaults or {}
    out = {}
    for key in placeholders_used(template):
        for source in (typed or {}, defaults, site):
            value = str(source.get(key) or "").strip()
            if value:
                out[key] = value[:500]
                break
        else:
            out[key] = ""
    return out


def placeholder_errors(template: Playbook, values: dict, *, now: datetime, zone: str) -> dict:
    """{placeholder: message} for required values left empty and an ETA that has already passed."""
    optional = set(template.optional_placeholders or [])
    errors = {}
    for key in placeholders_used(template):
        if not values.get(key) and key not in optional:
            errors[key] = _("%(label)s is required by this playbook.", label=PLACEHOLDER_LABELS[key])
    if values.get("eta"):
        problem = eta_problem(values["eta"], now=now, zone=zone)
        if problem:
            errors["eta"] = problem
    return errors


def parse_eta(value: str, *, now: datetime, zone: str) -> datetime | None:
    """"18:00", "18:00 UTC", "2026-12-02 09:30 Asia/Shanghai", "09:30 +08:00": a time in the site's zone
    unless one is named; None when it is not a time we can read (free text is left to the operator)."""
    match = _ETA.match(value or "")
    if not match:
        return None
    day, hour, minute, zone_text = match.groups()
    tz = _zone(zone_text, zone)
    if tz is None or int(hour) > 23 or int(minute) > 59:
        return None
    try:
        date_ = datetime.strptime(day, "%Y-%m-%d").date() if day else now.astimezone(tz).date()
    except ValueError:
        return None
    return datetime(date_.year, date_.month, date_.day, int(hour), int(minute), tzinfo=tz)


def eta_problem(value: str, *, now: datetime, zone: str) -> str | None:
    """A message when the ETA is a time that has already passed."""
    when = parse_eta(value, now=now, zone=zone)
    if when is None or when > now:
        return None
    tz = when.tzinfo
    locale = str(get_locale() or "en")
    return _("The expected fix time %(eta)s has already passed (it is %(now)s now). Customers would read a "
             "promise that is already broken: enter a later time, with a date if it is tomorrow, e.g. %(example)s.",
             eta=value.strip(), now=format_datetime(now, "HH:mm zzz", tzinfo=tz, locale=locale),
             example=format_datetime(now + timedelta(hours=2), "yyyy-MM-dd HH:mm", tzinfo=tz, locale=locale))


def _zone(text_: str, default: str):
    text_ = (text_ or "").strip()
    if not text_:
        try:
            return ZoneInfo(default or "UTC")
        except Exception:
            return timezone.utc
    if text_.upper() in ("UTC", "GMT", "Z"):
        return timezone.utc
    offset = _OFFSET.match(text_)
    if offset:
        sign, hours, minutes = offset.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
        return timezone(delta if sign == "+" else -delta)
    try:
        return ZoneInfo(text_)
    except Exception:
        return None


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
        "optional_placeholders": [k for k in PLACEHOLDERS if str(data.get(f"optional_{k}") or "") in ("1", "on", "true")],
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
        optional_placeholders=["workaround"],
        component_ids=list(component_ids or []))
    db.session.add(template)
    db.session.flush()
    return template
