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

from ..services.alerts import AlertBatch
from .alertmanager import parse_grouped


def parse(data) -> AlertBatch:
    return parse_grouped(data, "Grafana", "1")
