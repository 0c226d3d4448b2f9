"""The people paged for incidents and the severity policy that says when: responders, policy, pages.

A page goes through the same outbox as customer notices but never with
them: its rows are kind "page" with the destination and the rendered text in
the row (templates emails/page.*, sms/page.txt), no subscriber and no
update, so fan-out counts, delivery stats and "notified" never see them and
no customer opt-out applies. `page_responders` is the one function that
pages; declaring an incident, an inbound alert's draft, an escalation and a
raised severity all call it.
"""
from __future__ import annotations

import json

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from ..channels import CHAT_CHANNELS
from ..channels.chat import plain_text_body
from ..delivery.outbox import enqueue_message
from ..extensions import db
from ..models import DEFAULT_POLICY, SEVERITIES, Incident, IncidentNote, Responder, SeverityPolicy, utcnow
from . import audit
from .audit import Actor
from .subscriptions import SubscriptionError, chat_destination, normalize_email, normalize_phone
from .validation import ValidationError, text

NAME_MAX = 200
MAX_LEVEL = 9


# -- the severity policy ------------------------------------------------------------------------
def policy_for(severity: str) -> dict:
    """{"page_levels", "check_minutes", "escalate_after_missed"} of one severity (the seed when unset)."""
    row = db.session.get(SeverityPolicy, severity)
    if row is None:
        return dict(DEFAULT_POLICY.get(severity, DEFAULT_POLICY["sev4"]))
    return {"page_levels": list(row.page_levels or []), "check_minutes": row.check_minutes,
            "escalate_after_missed": row.escalate_after_missed}


def severity_policy() -> dict:
    return {sev: policy_for(sev) for sev in SEVERITIES}


def clean_policy(data) -> dict:
    """The validated policy of a PUT: every severity given is replaced; the others stay."""
    if not isinstance(data, dict) or not data or any(k not in SEVERITIES for k in data):
        raise ValidationError({"severity": _("Must map severities (%(choices)s) to their policy.",
                                             choices=", ".join(SEVERITIES))})
    out = {}
    for sev, item in data.items():
        if not isinstance(item, dict):
            raise ValidationError({sev: _("Must be an object with page_levels, check_minutes and "
                                          "escalate_after_missed.")})
        current = policy_for(sev)
        levels = item.get("page_levels", current["page_levels"])
        if not isinstance(levels, list) or any(not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_LEVEL
                                               for n in levels):
            raise ValidationError({f"{sev}.page_levels": _("Must be a list of on-call levels from 1 to %(n)d.",
                                                           n=MAX_LEVEL)})
        minutes = item.get("check_minutes", current["check_minutes"])
        if minutes is not None and (not isinstance(minutes, (int, float)) or isinstance(minutes, bool)
                                    or not 0 < minutes <= 24 * 60):
            raise ValidationError({f"{sev}.check_minutes": _("Must be a number of minutes from 1 to 1440, or null.")})
        missed = item.get("escalate_after_missed", current["escalate_after_missed"])
        if not isinstance(missed, int) or isinstance(missed, bool) or not 1 <= missed <= 100:
            raise ValidationError({f"{sev}.escalate_after_missed": _("Must be a whole number from 1 to 100.")})
        out[sev] = {"page_levels": sorted(set(levels)), "check_minutes": minutes, "escalate_after_missed": missed}
    return out


def save_policy(policy: dict, *, actor: Actor) -> dict:
    before = severity_policy()
    for sev, item in policy.items():
        row = db.session.get(SeverityPolicy, sev) or SeverityPolicy(severity=sev)
        row.page_levels = item["page_levels"]
        # Stored as whole minutes; a fraction is kept as the nearest whole minute, at least 1.
        row.check_minutes = None if item["check_minutes"] is None else max(1, round(item["check_minutes"]))
        row.escalate_after_missed = item["escalate_after_missed"]
        db.session.add(row)
    db.session.flush()
    after = severity_policy()
    audit.record("update", "severity_policy", None, actor=actor, before=before, after=after,
                 summary=_("Severity policy"))
    db.session.commit()
    return after


# -- responders ---------------------------------------------------------------------------------
def responder_dict(r: Responder) -> dict:
    return {"id": r.id, "name": r.name, "email": r.email, "phone": r.phone,
            "chat": {"kind": r.chat_kind, "url": r.chat_url} if r.chat_url else None,
            "level": r.level, "test": r.test, "deleted_at": r.deleted_at.isoformat() if r.deleted_at else None}


def list_responders() -> list[Responder]:
    return list(db.session.scalars(select(Responder).where(Responder.deleted_at.is_(None))
                                   .order_by(Responder.level, Responder.name, Responder.id)))


def clean_responder(data: dict) -> dict:
    out = {"name": text(data, "name", NAME_MAX, required=True)}
    try:
        out["email"] = normalize_email(data["email"]) if data.get("email") else None
        out["phone"] = normalize_phone(data["phone"], check_country=False) if data.get("phone") else None
        chat = data.get("chat")
        if chat:
            kind, url, _secret = chat_destination(chat)
            out["chat_kind"], out["chat_url"] = kind, url
        else:
            out["chat_kind"] = out["chat_url"] = None
    except SubscriptionError as exc:
        raise ValidationError({exc.field or "chat": exc.message}) from None
    if not (out["email"] or out["phone"] or out["chat_url"]):
        raise ValidationError({"email": _("Give an email address, a phone number or a chat webhook.")})
    level = data.get("level", 1)
    if isinstance(level, str) and level.strip().isdigit():
        level = int(level)
    if not isinstance(level, int) or isinstance(level, bool) or not 1 <= level <= MAX_LEVEL:
        raise ValidationError({"level": _("Must be a whole number from 1 to %(n)d.", n=MAX_LEVEL)})
    out["level"] = level
    test = data.get("test", False)
    out["test"] = test in (True, "1", "on", "true", "y")
    return out


def create_responder(fields: dict, *, actor: Actor) -> Responder:
    responder = Responder(**fields)
    db.session.add(responder)
    db.session.flush()
    audit.record("create", "responder", responder.id, actor=actor, after=responder_dict(responder),
                 summary=responder.name)
    db.session.commit()
    return responder


def delete_responder(responder: Responder, *, actor: Actor) -> None:
    before = responder_dict(responder)
    responder.soft_delete()
    audit.record("delete", "responder", responder.id, actor=actor, before=before, after=responder_dict(responder),
                 summary=responder.name)
    db.session.commit()


# -- pages --------------------------------------------------------------------------------------
def responders_at(levels, drill: bool = False) -> list[Responder]:
    if not levels:
        return []
    query = select(Responder).where(Responder.deleted_at.is_(None), Responder.level.in_(list(levels)))
    if drill:
        query = query.where(Responder.test.is_(True))
    return list(db.session.scalars(query.order_by(Responder.level, Responder.id)))


def add_note(incident: Incident, kind: str, body: str, actor: Actor | None = None) -> IncidentNote:
    """Write one internal timeline entry in the caller's transaction."""
    note = IncidentNote(incident_id=incident.id, kind=kind, body=body, created_at=utcnow(),
                        author_id=actor.user_id if actor is not None else None)
    db.session.add(note)
    db.session.flush()
    return note


def page_responders(incident: Incident, reason: str, actor: Actor, levels=None, commit: bool = False) -> int:
    """Page the responders of `levels` (default: the severity policy's page_levels) on every channel they have.

    The rows are kind "page" (never a customer notice); a drill pages test responders only. Recorded on the
    incident's internal timeline. Runs in the caller's transaction unless `commit`; returns the rows queued.
    """
    levels = policy_for(incident.severity)["page_levels"] if levels is None else list(levels)
    people = responders_at(levels, drill=incident.visibility == "drill")
    base = (current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    context = {"incident": incident, "reason": reason, "url": f"{base}/admin/incidents/{incident.id}",
               "severity": incident.severity.upper()}
    queued = 0
    with force_locale(current_app.config.get("DEFAULT_LOCALE") or "en"):
        subject = render_template("emails/page.subject", **context).strip()
        body = render_template("emails/page.txt", **context)
        sms = render_template("sms/page.txt", **context).strip()
    for person in people:
        if person.email:
            enqueue_message(kind="page", channel="email", recipient=person.email, subject=subject, text=body)
            queued += 1
        if person.phone:
            enqueue_message(kind="page", channel="sms", recipient=person.phone, subject="", text=sms)
            queued += 1
        if person.chat_url and person.chat_kind in CHAT_CHANNELS:
            _enqueue_chat(person.chat_kind, person.chat_url, plain_text_body(person.chat_kind, f"{subject}\n{body}"))
            queued += 1
    if levels:
        incident.paged_level = max([incident.paged_level or 0, *levels])
    names = ", ".join(p.name for p in people) or _("nobody (no responder at these levels)")
    add_note(incident, "page", _("Paged level %(levels)s: %(names)s. %(reason)s",
                                 levels=", ".join(str(n) for n in levels) or "-", names=names, reason=reason), actor)
    if commit:
        db.session.commit()
    return queued


def _enqueue_chat(kind: str, url: str, body: dict) -> None:
    row = enqueue_message(kind="page", channel=kind, recipient=url, subject="", text="")
    row.payload = json.dumps({"json": body, "secret": None}, ensure_ascii=False)
