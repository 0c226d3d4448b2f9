"""Running an open incident inside the company: notes, status checks, the team, severity changes, escalation.

Everything here is internal: notes and checks are IncidentNote rows, read
only by the admin incident page and the admin API; nothing here posts an
update or fans out to subscribers. Pages go through responders.page_responders.

Status checks: while an incident whose severity policy has `check_minutes`
is open (published, not resolved), a check is due every `check_minutes`
after the latest of its declaration, its last check and its last public
update. `remind_checks` (a periodic job) reminds the lead of each missed
check; after `escalate_after_missed` misses in a row it pages the next
on-call level and records the escalation.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..delivery.outbox import enqueue_message
from ..extensions import db
from ..models import (
    ACCEPTED_STATUSES, CLOSED_STATUSES, RESPONSE_ROLES, SEVERITIES, SEVERITY_FOR_IMPACT, Delivery, Incident,
    IncidentNote, IncidentUpdate, Responder, utcnow)
from . import audit
from .audit import Actor
from .responders import add_note, page_responders, policy_for
from .validation import ValidationError, choice, text

NOTE_MAX = 5000
ROLE_LABELS = {"lead": "Lead", "technical": "Technical", "communications": "Communications",
               "customer_service": "Customer service"}


def default_severity(impact: str) -> str:
    return SEVERITY_FOR_IMPACT.get(impact, "sev3")


def clean_severity(data: dict, impact: str | None = None, required: bool = False) -> str:
    """`severity` as given, else (unless `required`, as in an edit) the one the impact gives."""
    if data.get("severity") in (None, "") and not required:
        return default_severity(impact or "minor")
    return choice(data, "severity", SEVERITIES)


# -- notes and checks ---------------------------------------------------------------------------
def record_note(incident: Incident, body: str, *, actor: Actor) -> IncidentNote:
    body = text({"body": body}, "body", NOTE_MAX, required=True)
    note = add_note(incident, "note", body, actor)
    audit.record("note", incident.kind, incident.id, actor=actor, summary=body[:200])
    db.session.commit()
    return note


def record_check(incident: Incident, body: str = "", *, actor: Actor) -> IncidentNote:
    """"Checked, no change": starts the next check interval and forgets the misses."""
    body = text({"body": body}, "body", NOTE_MAX) or _("Checked, no change.")
    note = add_note(incident, "check", body, actor)
    incident.last_check_at = note.created_at
    incident.missed_checks = 0
    audit.record("check", incident.kind, incident.id, actor=actor, summary=body[:200])
    db.session.commit()
    return note


def notes_of(incident: Incident) -> list[IncidentNote]:
    return list(db.session.scalars(select(IncidentNote).where(IncidentNote.incident_id == incident.id)
                                   .order_by(IncidentNote.created_at.desc(), IncidentNote.id.desc())))


def note_dict(n: IncidentNote) -> dict:
    return {"id": n.id, "incident_id": n.incident_id, "kind": n.kind, "body": n.body, "author_id": n.author_id,
            "created_at": n.created_at.isoformat()}


def timeline(incident: Incident) -> list[dict]:
    """Public updates and internal entries in one list, newest first: {"at", "kind", "body", "internal"}."""
    rows = [{"at": u.display_at, "kind": "update", "status": u.status, "body": u.body, "internal": False}
            for u in incident.updates]
    rows += [{"at": n.created_at, "kind": n.kind, "status": None, "body": n.body, "internal": True}
             for n in notes_of(incident)]
    return sorted(rows, key=lambda r: r["at"], reverse=True)


# -- the team and the severity ------------------------------------------------------------------
def set_team(incident: Incident, roles: dict, *, actor: Actor) -> None:
    """`roles`: {role: responder id or None}; only the roles given change."""
    team = dict(incident.roles or {})
    for role, value in roles.items():
        if role not in RESPONSE_ROLES:
            raise ValidationError({"roles": _("Must be one of: %(choices)s.", choices=", ".join(RESPONSE_ROLES))})
        if value in (None, "", 0, "0"):
            team.pop(role, None)
            continue
        try:
            rid = int(value)
        except (TypeError, ValueError):
            raise ValidationError({role: _("Unknown responder.")}) from None
        person = db.session.get(Responder, rid) if 0 < rid < 2**31 else None
        if person is None or person.deleted_at is not None:
            raise ValidationError({role: _("Unknown responder.")})
        team[role] = rid
    before = dict(incident.roles or {})
    incident.roles = team
    audit.record("team", incident.kind, incident.id, actor=actor, before={"roles": before}, after={"roles": team},
                 summary=incident.name)
    db.session.commit()


def team_of(incident: Incident) -> dict[str, Responder]:
    out = {}
    for role, rid in (incident.roles or {}).items():
        person = db.session.get(Responder, rid)
        if person is not None and person.deleted_at is None:
            out[role] = person
    return out


def change_severity(incident: Incident, severity: str, reason: str, *, actor: Actor, commit: bool = True) -> None:
    """Raise or lower the severity with a reason; a published incident re-pages per the new policy's levels."""
    if severity not in SEVERITIES:
        raise ValidationError({"severity": _("Must be one of: %(choices)s.", choices=", ".join(SEVERITIES))})
    if severity == incident.severity:
        return
    old = incident.severity
    incident.severity = severity
    add_note(incident, "severity", _("Severity %(old)s → %(new)s. %(reason)s", old=old, new=severity,
                                     reason=reason or ""), actor)
    if not incident.draft and incident.kind == "incident" and incident.is_open and policy_for(severity)["page_levels"]:
        page_responders(incident, _("Severity changed to %(sev)s.", sev=severity), actor)
    if commit:
        db.session.commit()


def declare(incident: Incident, actor: Actor) -> None:
    """An incident goes live (created or published): page the policy's levels, once, in the caller's transaction."""
    if incident.kind != "incident" or incident.draft:
        return
    paged = db.session.scalar(select(func.count()).select_from(IncidentNote).where(
        IncidentNote.incident_id == incident.id, IncidentNote.kind == "page"))
    if not paged and policy_for(incident.severity)["page_levels"]:
        page_responders(incident, _("Incident declared."), actor)


# -- status checks ------------------------------------------------------------------------------
def check_basis(incident: Incident) -> datetime:
    times = [t for t in (incident.started_at, incident.last_check_at, incident.last_public_update_at) if t]
    return max(times)


def next_check_due(incident: Incident) -> datetime | None:
    minutes = policy_for(incident.severity)["check_minutes"]
    if not minutes or not incident.is_open or incident.draft or incident.kind != "incident":
        return None
    return check_basis(incident) + timedelta(minutes=minutes)


def remind_checks(now: datetime | None = None) -> int:
    """The periodic job: remind the lead of each missed check; escalate after the policy's number of misses."""
    now = now or utcnow()
    open_ = db.session.scalars(select(Incident).where(
        Incident.kind == "incident", Incident.deleted_at.is_(None), Incident.draft.is_(False),
        Incident.status.not_in(CLOSED_STATUSES))).all()
    acted = 0
    for incident in open_:
        policy = policy_for(incident.severity)
        minutes = policy["check_minutes"]
        if not minutes:
            continue
        missed = int((now - check_basis(incident)).total_seconds() // (minutes * 60))
        if missed < (incident.missed_checks or 0):
            incident.missed_checks = missed  # a public update started a new interval
        if missed <= (incident.missed_checks or 0):
            db.session.commit()
            continue
        incident.missed_checks = missed
        _remind_lead(incident, missed)
        add_note(incident, "reminder", _("Check missed (%(n)d in a row); the lead was reminded.", n=missed), None)
        if missed >= policy["escalate_after_missed"] and missed % policy["escalate_after_missed"] == 0:
            level = (incident.paged_level or max(policy["page_levels"] or [0])) + 1
            add_note(incident, "escalation", _("Escalated to level %(level)d after %(n)d missed checks.",
                                               level=level, n=missed), None)
            page_responders(incident, _("Escalated: %(n)d status checks missed.", n=missed), Actor.system(),
                            levels=[level])
        db.session.commit()
        acted += 1
    return acted


def _remind_lead(incident: Incident, missed: int) -> None:
    lead = team_of(incident).get("lead")
    base = (current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    link = f"{base}/admin/incidents/{incident.id}"
    subject = _("Check due: \"%(name)s\" (%(sev)s)", name=incident.name, sev=incident.severity.upper())
    body = _("The open incident \"%(name)s\" needs its status check (%(n)d missed). Post an update, or record "
             "\"checked, no change\" on the incident page:\n\n%(link)s", name=incident.name, n=missed, link=link)
    if lead is not None and lead.email:
        enqueue_message(kind="page", channel="email", recipient=lead.email, subject=subject, text=body)
    elif lead is not None and lead.phone:
        enqueue_message(kind="page", channel="sms", recipient=lead.phone, subject="", text=f"{subject} {link}")


# -- measures -----------------------------------------------------------------------------------
def time_to_first_notice(incident: Incident) -> timedelta | None:
    """From declaration to the first customer notice a provider accepted (None: none yet)."""
    first = db.session.scalar(
        select(func.min(Delivery.sent_at)).join(IncidentUpdate, IncidentUpdate.id == Delivery.update_id)
        .where(IncidentUpdate.incident_id == incident.id, Delivery.kind == "update",
               Delivery.status.in_(ACCEPTED_STATUSES)))
    if first is None:
        return None
    if isinstance(first, str):
        first = datetime.fromisoformat(first)
    if first.tzinfo is None:
        first = first.replace(tzinfo=timezone.utc)
    return max(timedelta(0), first - incident.started_at)
