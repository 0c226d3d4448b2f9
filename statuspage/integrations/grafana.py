"""Grafana alerting's webhook contact point (unified alerting).

    {"receiver": "statuspage", "status": "firing", "orgId": 1, "alerts": [{"status": "firing",
      "labels": {...}, "annotations": {...}, "startsAt": "...", "endsAt": "0001-01-01T00:00:00Z",
      "generatorURL": "...", "fingerprint": "c6eadffa33fcdf37", "silenceURL": "...", "dashboardURL": "",
      "panelURL": "", "values": {"B": 44.2}, "valueString": "..."}], "groupLabels": {...},
     "commonLabels": {...}, "commonAnnotations": {...}, "externalURL": "http://grafana:3000/", "version": "1",
     "groupKey": "{}:{alertname=\"X\"}", "truncatedAlerts": 0, "title": "[FIRING:1] X", "state": "alerting",
     "message": "..."}

Alertmanager's shape with Grafana's additions; its `title` is a rendered
template ("[FIRING:2] ..."), so the draft's name comes from the labels.
"""
from __future__ import annotations

from ..services.alerts import AlertBatch, PayloadInvalid
from . import common
from .alertmanager import parse_alert


def parse(data) -> AlertBatch:
    data = common.obj(data, "the body")
    if "version" in data and str(data["version"]) not in ("1",):
        raise PayloadInvalid(f"Grafana webhook version {str(data['version'])[:10]} is not supported (1 is)")
    if "status" in data:
        common.status(data["status"], "status")
    events = tuple(parse_alert(raw, n) for n, raw in enumerate(common.alert_list(data.get("alerts"))))
    common_labels = common.string_map(data.get("commonLabels"), "commonLabels")
    common_annotations = common.string_map(data.get("commonAnnotations"), "commonAnnotations")
    group_labels = common.string_map(data.get("groupLabels"), "groupLabels")
    title = (common_annotations.get("summary") or common_labels.get("alertname") or events[0].summary)
    return AlertBatch(group_key=common.group_key(data.get("groupKey"), group_labels), title=title[:200],
                      events=events)
