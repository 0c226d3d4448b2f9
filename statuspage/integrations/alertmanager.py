"""Prometheus Alertmanager's webhook receiver payload, version 4.

    {"version": "4", "groupKey": "{}:{alertname=\"X\"}", "truncatedAlerts": 0, "status": "firing",
     "receiver": "statuspage", "groupLabels": {...}, "commonLabels": {...}, "commonAnnotations": {...},
     "externalURL": "http://alertmanager:9093",
     "alerts": [{"status": "firing", "labels": {...}, "annotations": {...}, "startsAt": "...",
                 "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "...", "fingerprint": "..."}]}

One POST is one alert group; each alert carries its own status, so a group
notification can hold firing and resolved alerts together.
"""
from __future__ import annotations

from ..services.alerts import AlertBatch, AlertEvent, PayloadInvalid
from . import common


def parse_alert(raw, n: int) -> AlertEvent:
    alert = common.obj(raw, f"alerts[{n}]")
    labels = common.string_map(alert.get("labels"), f"alerts[{n}].labels")
    annotations = common.string_map(alert.get("annotations"), f"alerts[{n}].annotations")
    summary = (annotations.get("summary") or annotations.get("description") or annotations.get("message")
               or labels.get("alertname") or "alert")
    return AlertEvent(fingerprint=common.fingerprint(alert.get("fingerprint"), labels),
                      status=common.status(alert.get("status"), f"alerts[{n}].status"),
                      summary=summary.strip()[:2000], labels=labels,
                      starts_at=common.timestamp(alert.get("startsAt"), f"alerts[{n}].startsAt"),
                      ends_at=common.timestamp(alert.get("endsAt"), f"alerts[{n}].endsAt"))


def parse(data) -> AlertBatch:
    return parse_grouped(data, "Alertmanager", "4")


def parse_grouped(data, tool: str, version: str) -> AlertBatch:
    """An Alertmanager-shaped grouped payload (Grafana's webhook contact point sends the same shape)."""
    data = common.obj(data, "the body")
    if "version" in data and str(data["version"]) != version:
        raise PayloadInvalid(f"{tool} webhook version {str(data['version'])[:10]} is not supported ({version} is)")
    if "status" in data:
        common.status(data["status"], "status")
    events = tuple(parse_alert(raw, n) for n, raw in enumerate(common.alert_list(data.get("alerts"))))
    common_labels = common.string_map(data.get("commonLabels"), "commonLabels")
    common_annotations = common.string_map(data.get("commonAnnotations"), "commonAnnotations")
    group_labels = common.string_map(data.get("groupLabels"), "groupLabels")
    title = (common_annotations.get("summary") or common_labels.get("alertname") or events[0].summary)
    return AlertBatch(group_key=common.group_key(data.get("groupKey"), group_labels), title=title[:200],
                      events=events)
