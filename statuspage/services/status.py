"""Overall status and 90-day uptime, computed from what the viewer may see."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import and_, or_, select

from ..extensions import db
from ..models import Component, Incident, IncidentComponent
from .visibility import Viewer, incident_filter

INDICATORS = ("none", "minor", "major", "critical")
# Statuspage's wording for each indicator.
INDICATOR_DESCRIPTIONS = {
    "none": "All Systems Operational",
    "minor": "Minor Service Outage",
    "major": "Partial System Outage",
    "critical": "Major System Outage",
}
COMPONENT_INDICATOR = {
    "operational": "none",
    "under_maintenance": "none",
    "degraded_performance": "minor",
    "partial_outage": "major",
    "major_outage": "critical",
}
# Statuspage counts a partial outage as 30 % downtime, a major outage as all of it.
DOWNTIME_WEIGHT = {"partial_outage": 0.3, "major_outage": 1.0}
DAY_SEVERITY = ("operational", "degraded_performance", "partial_outage", "major_outage")


def worst_indicator(values) -> str:
    worst = 0
    for v in values:
        if v in INDICATORS:
            worst = max(worst, INDICATORS.index(v))
    return INDICATORS[worst]


def overall_indicator(components: list[Component], open_incidents: list[Incident]) -> str:
    """none/minor/major/critical: the worst of the components' states and the open incidents' impact."""
    return worst_indicator([COMPONENT_INDICATOR.get(c.status, "none") for c in components]
                           + [i.impact for i in open_incidents])


def group_status(components: list[Component]) -> str:
    worst = "operational"
    for comp in components:
        if comp.status in DAY_SEVERITY and DAY_SEVERITY.index(comp.status) > DAY_SEVERITY.index(worst):
            worst = comp.status
        elif comp.status == "under_maintenance" and worst == "operational":
            worst = "under_maintenance"
    return worst


@dataclass
class UptimeDay:
    day: date
    status: str = "operational"          # worst status of the day, or "no_data" before the component existed
    outage_seconds: dict = field(default_factory=dict)  # status -> seconds
    incident_ids: list = field(default_factory=list)

    @property
    def uptime(self) -> float | None:
        if self.status == "no_data":
            return None
        lost = sum(DOWNTIME_WEIGHT.get(s, 0.0) * sec for s, sec in self.outage_seconds.items())
        return max(0.0, 100.0 * (1 - lost / 86400.0))


@dataclass
class Uptime:
    component_id: int
    days: list[UptimeDay]

    @property
    def percent(self) -> float | None:
        known = [d.uptime for d in self.days if d.uptime is not None]
        return sum(known) / len(known) if known else None


def uptime_bars(viewer: Viewer, components: list[Component], now: datetime, days: int = 90) -> dict[int, Uptime]:
    """Per component, one entry per UTC day for the last `days` days (oldest first).

    Built from the incidents the viewer may see (maintenance is not downtime):
    each incident_component row counts from the incident's start to its
    resolution (or now) with the status the incident gave the component.
    """
    today = now.astimezone(timezone.utc).date()
    first_day = today - timedelta(days=days - 1)
    window_start = datetime.combine(first_day, time(0), tzinfo=timezone.utc)
    ids = [c.id for c in components]
    result: dict[int, Uptime] = {}
    for comp in components:
        born = comp.start_date or comp.created_at.astimezone(timezone.utc).date()
        result[comp.id] = Uptime(comp.id, [
            UptimeDay(first_day + timedelta(days=n),
                      "no_data" if first_day + timedelta(days=n) < born else "operational")
            for n in range(days)])
    if not ids:
        return result
    rows = db.session.execute(
        select(IncidentComponent.component_id, IncidentComponent.status, Incident.id,
               Incident.started_at, Incident.resolved_at)
        .join(Incident, Incident.id == IncidentComponent.incident_id)
        .where(IncidentComponent.component_id.in_(ids), Incident.kind == "incident", incident_filter(viewer),
               or_(Incident.resolved_at.is_(None), Incident.resolved_at >= window_start),
               and_(Incident.started_at <= now))
    ).all()
    for comp_id, status, incident_id, started, resolved in rows:
        if status not in DAY_SEVERITY or status == "operational":
            continue
        _spread(result[comp_id], status, incident_id, max(started, window_start), min(resolved or now, now), first_day)
    return result


def _spread(uptime: Uptime, status: str, incident_id: int, start: datetime, end: datetime, first_day: date) -> None:
    cursor = start
    while cursor < end:
        day = cursor.date()
        next_midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=timezone.utc)
        chunk_end = min(end, next_midnight)
        index = (day - first_day).days
        if 0 <= index < len(uptime.days):
            entry = uptime.days[index]
            if entry.status == "no_data":
                entry.status = "operational"
            entry.outage_seconds[status] = entry.outage_seconds.get(status, 0) + (chunk_end - cursor).total_seconds()
            if DAY_SEVERITY.index(status) > DAY_SEVERITY.index(entry.status):
                entry.status = status
            if incident_id not in entry.incident_ids:
                entry.incident_ids.append(incident_id)
        cursor = chunk_end
