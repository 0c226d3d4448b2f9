"""Scheduled maintenance: windows move scheduled → in progress → completed by the clock, not by page views."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import force_locale, gettext as _
from sqlalchemy import select, update

from ..extensions import db
from ..models import ACTIVE_MAINTENANCE_STATUSES, Incident, utcnow
from .audit import Actor
from .incidents import TRANSLATED_LOCALES, post_update
from .validation import ValidationError


def parse_window(start: str, end: str, tz_name: str) -> tuple[datetime, datetime]:
    """Local `YYYY-MM-DDTHH:MM` times in `tz_name` → aware UTC datetimes, end after start."""
    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValidationError({"time_zone": _("Unknown time zone.")}) from None
    out = []
    for field, value in (("scheduled_for", start), ("scheduled_until", end)):
        try:
            local = datetime.fromisoformat((value or "").strip())
        except ValueError:
            raise ValidationError({field: _("Enter a date and time like 2026-01-31T22:00.")}) from None
        if local.tzinfo is None:
            local = local.replace(tzinfo=tz)
        out.append(local.astimezone(ZoneInfo("UTC")))
    if out[1] <= out[0]:
        raise ValidationError({"scheduled_until": _("The window must end after it starts.")})
    return out[0], out[1]


def _message(key: str, incident: Incident) -> tuple[str, dict]:
    """The automatic update text in English plus its translations."""
    def render() -> str:
        if key == "start":
            return _("The scheduled maintenance \"%(name)s\" is now in progress.", name=incident.name)
        return _("The scheduled maintenance \"%(name)s\" has been completed.", name=incident.name)

    with force_locale("en"):
        body = render()
    translated = {}
    for locale in TRANSLATED_LOCALES:
        with force_locale(locale):
            text = render()
        if text != body:
            translated[locale] = text
    return body, translated


def _claim(incident_id: int, from_statuses: tuple[str, ...], to_status: str) -> bool:
    """Conditional UPDATE so two workers never post the same transition twice."""
    result = db.session.execute(
        update(Incident).where(Incident.id == incident_id, Incident.status.in_(from_statuses))
        .values(status=to_status).execution_options(synchronize_session=False))
    return result.rowcount == 1


def advance_due(now: datetime | None = None) -> dict:
    """Start windows whose start has passed and complete those whose end has passed."""
    now = now or utcnow()
    counts = {"started": 0, "completed": 0}
    base = select(Incident.id).where(Incident.kind == "maintenance", Incident.deleted_at.is_(None),
                                     Incident.draft.is_(False), Incident.auto_transition.is_(True))
    to_start = db.session.scalars(base.where(Incident.status == "scheduled", Incident.scheduled_for <= now)).all()
    for incident_id in to_start:
        if _transition(incident_id, ("scheduled",), "in_progress", now):
            counts["started"] += 1
    to_complete = db.session.scalars(base.where(Incident.status.in_(("scheduled",) + ACTIVE_MAINTENANCE_STATUSES),
                                                Incident.scheduled_until <= now)).all()
    for incident_id in to_complete:
        if _transition(incident_id, ("scheduled",) + ACTIVE_MAINTENANCE_STATUSES, "completed", now):
            counts["completed"] += 1
    return counts


def _transition(incident_id: int, from_statuses: tuple[str, ...], to_status: str, now: datetime) -> bool:
    if not _claim(incident_id, from_statuses, to_status):
        db.session.rollback()
        return False
    incident = db.session.get(Incident, incident_id)
    db.session.refresh(incident)
    starting = to_status == "in_progress"
    body, translated = _message("start" if starting else "complete", incident)
    notify = incident.notify_on_start if starting else incident.notify_on_complete
    components = {a.component_id: "under_maintenance" for a in incident.affected} if starting else {}
    post_update(incident, to_status, body, components, notify, body_translations=translated, actor=Actor.system(),
                commit=False, now=now)
    db.session.commit()
    return True

