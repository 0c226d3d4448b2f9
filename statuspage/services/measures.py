"""How fast an incident was run, per incident and per month: the measures of the incident procedure.

Per incident (minutes, None when it has not happened): from the first signal
(the first alert monitoring reported, else the declaration) to the
declaration, to the first customer notice a provider accepted, to the last
one, and to resolution. Per month and severity: how many incidents, the
median of each, and the share of status checks made on time (checks recorded
against checks missed).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from statistics import median

from sqlalchemy import func, select

from ..extensions import db
from ..models import ACCEPTED_STATUSES, SEVERITIES, Delivery, Incident, IncidentNote, IncidentUpdate

MEASURES = ("signal_to_declared", "to_first_notice", "to_last_notice", "to_resolved")


def _minutes(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round(max(0.0, (end - start).total_seconds()) / 60, 1)


def _aware(value):
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value


def incident_measures(incident: Incident) -> dict:
    first_sent, last_sent = db.session.execute(
        select(func.min(Delivery.sent_at), func.max(Delivery.sent_at))
        .join(IncidentUpdate, IncidentUpdate.id == Delivery.update_id)
        .where(IncidentUpdate.incident_id == incident.id, Delivery.kind == "update",
               Delivery.status.in_(ACCEPTED_STATUSES))).one()
    first_alert = _aware(db.session.scalar(select(func.min(IncidentNote.created_at)).where(
        IncidentNote.incident_id == incident.id, IncidentNote.kind == "alert")))
    declared = incident.started_at
    signal = min(first_alert, declared) if first_alert else declared
    return {"signal_to_declared": _minutes(signal, declared),
            "to_first_notice": _minutes(declared, _aware(first_sent)),
            "to_last_notice": _minutes(declared, _aware(last_sent)),
            "to_resolved": _minutes(declared, incident.resolved_at)}


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """"2026-12" → its first instant and the next month's, in UTC; ValueError when it is not a month."""
    start = datetime.strptime(month, "%Y-%m").replace(tzinfo=timezone.utc)
    end = (start + timedelta(days=32)).replace(day=1)
    return start, end


def monthly_report(month: str) -> dict:
    """{"month", "rows": [{"severity", "incidents", <measure>: median minutes or None, "checks_on_time": share
    or None}], "incidents": [(incident, measures)]} for incidents declared in `month` (drills and drafts left out)."""
    start, end = month_bounds(month)
    incidents = db.session.scalars(select(Incident).where(
        Incident.kind == "incident", Incident.deleted_at.is_(None), Incident.draft.is_(False),
        Incident.visibility != "drill", Incident.started_at >= start, Incident.started_at < end)
        .order_by(Incident.started_at)).all()
    per_incident = [(i, incident_measures(i)) for i in incidents]
    rows = []
    for sev in SEVERITIES:
        mine = [m for i, m in per_incident if i.severity == sev]
        row = {"severity": sev, "incidents": len(mine)}
        for key in MEASURES:
            values = [m[key] for m in mine if m[key] is not None]
            row[key] = round(median(values), 1) if values else None
        row["checks_on_time"] = _checks(sev, incidents)
        rows.append(row)
    return {"month": month, "rows": rows, "incidents": per_incident}


def _checks(severity: str, incidents) -> float | None:
    ids = [i.id for i in incidents if i.severity == severity]
    if not ids:
        return None
    counts = dict(db.session.execute(
        select(IncidentNote.kind, func.count()).where(IncidentNote.incident_id.in_(ids),
                                                      IncidentNote.kind.in_(("check", "reminder")))
        .group_by(IncidentNote.kind)).all())
    made, missed = counts.get("check", 0), counts.get("reminder", 0)
    return round(made / (made + missed), 3) if made + missed else None
