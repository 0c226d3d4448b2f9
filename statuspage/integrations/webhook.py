"""The generic shape, for anything that can POST JSON:

    {"component": 12 or "Withdrawals API", "status": "major_outage", "summary": "Error rate 30 %"}

`status` is a component status; `operational` resolves. Optional:
`fingerprint` (default: the component; one alert per component) and
`group` (default: the component; one draft per group). A list of such
objects may be sent as `{"alerts": [...]}`.
"""
from __future__ import annotations

from ..models import COMPONENT_STATUSES
from ..services.alerts import AlertBatch, AlertEvent, PayloadInvalid
from . import common


def parse_one(raw, what: str) -> tuple[AlertEvent, str]:
    item = common.obj(raw, what)
    component = item.get("component")
    if isinstance(component, bool) or not isinstance(component, str | int) or not str(component).strip():
        raise PayloadInvalid(f"{what}.component must be a component id or name")
    component = str(component).strip()[:200]
    state = item.get("status")
    if state not in COMPONENT_STATUSES:
        raise PayloadInvalid(f"{what}.status must be one of: {', '.join(COMPONENT_STATUSES)}")
    summary = item.get("summary", "")
    if not isinstance(summary, str) or len(summary) > 2000:
        raise PayloadInvalid(f"{what}.summary must be a string of at most 2000 characters")
    group = item.get("group")
    if group is not None and (not isinstance(group, str | int) or isinstance(group, bool) or len(str(group)) > 200):
        raise PayloadInvalid(f"{what}.group must be a string")
    resolved = state == "operational"
    given = item.get("fingerprint")
    event = AlertEvent(fingerprint=common.fingerprint(given, {}) if given not in (None, "") else None,
                       status="resolved" if resolved else "firing",
                       summary=summary.strip() or f"{component}: {state}", component=component,
                       component_status=None if resolved else state)
    return event, f"group:{group}" if group is not None else None


def parse(data) -> AlertBatch:
    data = common.obj(data, "the body")
    if "alerts" in data:
        parsed = [parse_one(raw, f"alerts[{n}]") for n, raw in enumerate(common.alert_list(data["alerts"]))]
    else:
        parsed = [parse_one(data, "the body")]
    groups = {key for _event, key in parsed}
    if len(groups) > 1:
        raise PayloadInvalid("all alerts of one request must share their group")
    events = tuple(event for event, _key in parsed)
    return AlertBatch(group_key=groups.pop(), title=events[0].summary[:200], events=events)
