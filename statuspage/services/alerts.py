"""Alerts in: what a firing or resolved alert from our own monitoring does.

A firing alert sets its component's status (never better than it is) and
opens or joins the one draft incident of its alert group; a new draft pages
the responders its severity's policy names (services.responders), or emails
the admins when that pages nobody. Nothing here reaches subscribers: the
draft is silent until an operator publishes it. A resolved alert puts its
component back (or, per integration, only proposes it) and says so on the
draft's internal timeline.

Exactly once under a burst: one delivery of one integration is applied in
one transaction that starts by writing the integration's row, so deliveries
of the same integration apply one after another (PostgreSQL row lock; the
SQLite write lock), and the unique keys (integration, group key) and
(integration, fingerprint) make a second draft or a second alert row for the
same thing impossible. A repeat of a firing alert changes nothing.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from ..delivery import outbox
from ..extensions import db
from ..models import (CLOSED_STATUSES, COMPONENT_SEVERITY, IMPACTS, AdminUser, Alert, AlertGroup, Component, Incident,
                      IncidentComponent, IncidentUpdate, Integration, utcnow)
from ..templating import COMPONENT_STATUS_LABELS
from . import audit
from .audit import Actor
from .incident_response import default_severity
from .incidents import settled_status
from .responders import add_note, page_responders

# severity label value -> component status, when the integration does not say otherwise
DEFAULT_SEVERITY = {
    "critical": "major_outage", "page": "major_outage", "disaster": "major_outage", "emergency": "major_outage",
    "error": "partial_outage", "high": "partial_outage", "major": "partial_outage",
    "warning": "degraded_performance", "warn": "degraded_performance", "minor": "degraded_performance",
    "info": "degraded_performance", "low": "degraded_performance",
}
FALLBACK_STATUS = "partial_outage"
# The draft's impact from the worst component status its alerts set.
IMPACT_FOR = {"operational": "minor", "under_maintenance": "minor", "degraded_performance": "minor",
              "partial_outage": "major", "major_outage": "critical"}
MAX_ALERTS = 1000
ATTEMPTS = 5


class PayloadInvalid(ValueError):
    """The body is not what the integration's tool sends: answered 400 with `message`, nothing applied."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class AlertEvent:
    """One alert as any tool describes it, after parsing."""

    # None: the generic shape's alert, known by the component it names (found by id, map or name).
    fingerprint: str | None
    status: str  # firing | resolved
    summary: str
    labels: dict = field(default_factory=dict)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    # The generic shape names its component and status outright.
    component: str | None = None
    component_status: str | None = None


@dataclass(frozen=True)
class AlertBatch:
    """What one POST carries: the tool's group and its alerts."""

    # None: the group of the first alert's component (the generic shape).
    group_key: str | None
    title: str
    events: tuple[AlertEvent, ...]


@dataclass
class Outcome:
    firing: int = 0
    repeats: int = 0
    resolved: int = 0
    ignored: int = 0
    draft_id: int | None = None
    draft_opened: bool = False
    components: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"firing": self.firing, "repeats": self.repeats, "resolved": self.resolved, "ignored": self.ignored,
                "draft_id": self.draft_id, "draft_opened": self.draft_opened,
                "components": {str(k): v for k, v in self.components.items()}}


def integration_actor(integration: Integration) -> Actor:
    """Who acts when an alert arrives: the integration, on the product's behalf."""
    return Actor(f"integration:{integration.name}"[:320], None, "system")


def receive(integration_id: int, batch: AlertBatch, *, actor: Actor) -> Outcome:
    """Apply one delivery and commit; a race lost to a concurrent delivery is retried from the start."""
    for attempt in range(ATTEMPTS):
        try:
            outcome = _apply(integration_id, batch, actor)
            db.session.commit()
            return outcome
        except (IntegrityError, OperationalError):
            db.session.rollback()
            if attempt == ATTEMPTS - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


def _apply(integration_id: int, batch: AlertBatch, actor: Actor) -> Outcome:
    now = utcnow()
    # The first statement writes: it queues this delivery behind any other of the same integration.
    db.session.execute(update(Integration).where(Integration.id == integration_id)
                       .values(last_received_at=now, received_count=Integration.received_count + len(batch.events))
                       .execution_options(synchronize_session=False))
    integration = db.session.get(Integration, integration_id, populate_existing=True)
    outcome = Outcome()
    keyed = [(event.fingerprint or _component_key(integration, event), event) for event in batch.events]
    group = _group(integration, batch.group_key or keyed[0][0])
    events = list(dict(keyed).items())  # one state per fingerprint: the last
    known = {a.fingerprint: a for a in db.session.scalars(select(Alert).where(
        Alert.integration_id == integration.id, Alert.fingerprint.in_([f for f, _e in events])))}
    firing: list[tuple[Alert, Component | None]] = []
    resolved: list[Alert] = []
    for fingerprint, event in events:
        alert = known.get(fingerprint)
        if event.status == "firing":
            if alert is not None and alert.status == "firing":
                outcome.repeats += 1
                continue
            component, status = _target(integration, event)
            if alert is None:
                alert = Alert(integration_id=integration.id, fingerprint=fingerprint)
                db.session.add(alert)
                known[fingerprint] = alert
            alert.group_id = group.id
            alert.status = "firing"
            alert.summary = event.summary[:2000]
            alert.labels = dict(event.labels)
            alert.starts_at = event.starts_at or now
            alert.ends_at = None
            alert.component_id = component.id if component is not None else None
            alert.component_status = status if component is not None else None
            firing.append((alert, component))
        elif alert is not None and alert.status == "firing":
            alert.status = "resolved"
            alert.ends_at = event.ends_at or now
            resolved.append(alert)
        else:
            outcome.ignored += 1
    db.session.flush()
    if firing:
        _fire(integration, group, batch, firing, outcome, actor)
    for alert in resolved:
        _resolve(integration, alert, outcome, actor)
    outcome.firing, outcome.resolved = len(firing), len(resolved)
    if outcome.draft_id is None and group.incident_id is not None:
        outcome.draft_id = group.incident_id
    return outcome


def _group(integration: Integration, key: str) -> AlertGroup:
    group = db.session.scalars(select(AlertGroup).where(AlertGroup.integration_id == integration.id,
                                                        AlertGroup.group_key == key)).first()
    if group is None:
        group = AlertGroup(integration_id=integration.id, group_key=key)
        db.session.add(group)
        db.session.flush()
    return group


def _component_key(integration: Integration, event: AlertEvent) -> str:
    component = find_component(integration, event.component)
    name = str(component.id) if component is not None else str(event.component or "").strip().lower()
    return f"component:{name}"[:128]


def _target(integration: Integration, event: AlertEvent) -> tuple[Component | None, str]:
    """The component an alert moves and the status it gives it."""
    value = event.component if event.component is not None else event.labels.get(integration.component_label)
    component = find_component(integration, value)
    if event.component_status:
        return component, event.component_status
    severity = str(event.labels.get(integration.severity_label, "")).strip().lower()
    status = (integration.severity_map or {}).get(severity) or DEFAULT_SEVERITY.get(severity) or FALLBACK_STATUS
    return component, status


def find_component(integration: Integration, value) -> Component | None:
    """By the integration's map first, then by id (the generic shape) or by name."""
    if value in (None, ""):
        return None
    value = str(value).strip()
    mapped = (integration.component_map or {}).get(value)
    candidate = None
    if mapped is not None:
        candidate = db.session.get(Component, int(mapped))
    elif value.isdigit() and int(value) < 2**31:
        candidate = db.session.get(Component, int(value))
    if candidate is None and mapped is None:
        candidate = db.session.scalars(select(Component).where(func.lower(Component.name) == value.lower(),
                                                               Component.deleted_at.is_(None))
                                       .order_by(Component.id)).first()
    return candidate if candidate is not None and candidate.deleted_at is None else None


def _open_draft(group: AlertGroup) -> Incident | None:
    if group.incident_id is None:
        return None
    incident = db.session.get(Incident, group.incident_id)
    if incident is None or incident.deleted_at is not None or incident.status in CLOSED_STATUSES:
        return None
    return incident


def _fire(integration, group, batch, firing, outcome, actor) -> None:
    incident = _open_draft(group)
    worst = max((a.component_status or FALLBACK_STATUS for a, _c in firing), key=lambda s: COMPONENT_SEVERITY[s])
    rows = [_alert_row(alert, component) for alert, component in firing]
    if incident is None:
        incident = _new_draft(integration, group, batch, rows, worst, actor)
        outcome.draft_opened = True
    elif incident.draft:
        # A worse alert joining the draft raises what the operator will be asked to publish.
        incident.impact = max(incident.impact, IMPACT_FOR[worst], key=_impact_rank)
        incident.severity = min(incident.severity, default_severity(incident.impact))
    outcome.draft_id = incident.id
    for alert, component in firing:
        if component is None:
            continue
        _link(incident, component, alert.component_status)
        if COMPONENT_SEVERITY[alert.component_status] > COMPONENT_SEVERITY.get(component.status, 0):
            before = component.status
            component.status = alert.component_status
            outcome.components[component.id] = component.status
            audit.record("integration.component_status", "component", component.id, actor=actor,
                         before={"status": before}, after={"status": component.status},
                         summary=f"'{component.name}' {before} -> {component.status} (alert: {alert.summary[:200]})")
    listed = "; ".join(r["summary"] + (f" ({r['component_name']}: {r['status_label']})" if r["component_name"] else "")
                       for r in rows)[:3000]
    if not outcome.draft_opened:
        add_note(incident, "alert", f"{len(firing)} more firing alert(s) from '{integration.name}': {listed}", actor)
        return
    add_note(incident, "alert", f"Firing from '{integration.name}': {listed}", actor)
    # Until an operator publishes it, the draft is known only to those told here.
    if not page_responders(incident, f"Alert from '{integration.name}': {incident.name}", actor):
        alert_admins(integration, incident, rows)


def _impact_rank(impact: str) -> int:
    return IMPACTS.index(impact) if impact in IMPACTS else 0


def _alert_row(alert: Alert, component: Component | None) -> dict:
    status = alert.component_status
    return {"summary": alert.summary, "component_name": component.name if component is not None else None,
            "status_label": str(COMPONENT_STATUS_LABELS.get(status, status)) if status else ""}


def _new_draft(integration, group, batch, rows, worst, actor) -> Incident:
    name = f"{integration.name}: {batch.title or rows[0]['summary']}"
    impact = IMPACT_FOR[worst]
    incident = Incident(kind="incident", name=name[:300], status="investigating", impact=impact,
                        severity=default_severity(impact), visibility="public", draft=True)
    db.session.add(incident)
    db.session.flush()
    # Alerts arrive outside any reader's request: the draft is written in the site's default language.
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE") or "en"):
        body = render_template("integrations/draft_body.txt", integration=integration, alerts=rows).strip()
    db.session.add(IncidentUpdate(incident_id=incident.id, status="investigating", body=body))
    group.incident_id = incident.id
    audit.record("integration.draft_opened", "incident", incident.id, actor=actor,
                 after={"name": incident.name, "draft": True, "integration_id": integration.id,
                        "group_key": group.group_key},
                 summary=f"Draft opened from integration '{integration.name}': {incident.name}")
    return incident


def _link(incident: Incident, component: Component, status: str) -> None:
    link = next((a for a in incident.affected if a.component_id == component.id), None)
    if link is None:
        incident.affected.append(IncidentComponent(component_id=component.id, status=status))
    elif COMPONENT_SEVERITY.get(status, 0) > COMPONENT_SEVERITY.get(link.status, 0):
        link.status = status


def _resolve(integration: Integration, alert: Alert, outcome: Outcome, actor: Actor) -> None:
    component = db.session.get(Component, alert.component_id) if alert.component_id else None
    note = f"Alert resolved: {alert.summary[:300]}"
    if component is not None and component.deleted_at is None:
        target = restored_status(component)
        if target != component.status:
            if integration.resolve_mode == "restore":
                before = component.status
                component.status = target
                outcome.components[component.id] = target
                audit.record("integration.component_status", "component", component.id, actor=actor,
                             before={"status": before}, after={"status": target},
                             summary=f"'{component.name}' {before} -> {target} (alert resolved)")
                note += f"; '{component.name}' restored to {target}"
            else:
                note += f"; consider setting '{component.name}' to {target}"
    group = db.session.get(AlertGroup, alert.group_id)
    incident = db.session.get(Incident, group.incident_id) if group is not None and group.incident_id else None
    if incident is not None:
        add_note(incident, "alert", note, actor)


def restored_status(component: Component) -> str:
    """What the component is once an alert on it resolved: the worst of the alerts still firing on it and
    the published incidents that hold it, else operational."""
    still = list(db.session.scalars(select(Alert.component_status).where(
        Alert.component_id == component.id, Alert.status == "firing")))
    candidates = [s for s in still if s] + [settled_status(component)]
    return max(candidates, key=lambda s: COMPONENT_SEVERITY.get(s, 0))


def alert_admins(integration: Integration, incident: Incident, rows: list[dict]) -> int:
    """Email every admin once about the new draft (until responders are paged); returns how many were queued."""
    admins = db.session.scalars(select(AdminUser).where(AdminUser.deleted_at.is_(None), AdminUser.role == "admin")
                                .order_by(AdminUser.id)).all()
    base = current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/")
    for admin in admins:
        with force_locale(admin.locale or "en"):
            context = {"integration": integration, "incident": incident, "alerts": rows, "base_url": base}
            subject = render_template("emails/integration_alert.subject", **context).strip()
            text = render_template("emails/integration_alert.txt", **context)
        outbox.enqueue_message(kind="admin", channel="email", recipient=admin.email, subject=subject, text=text)
    return len(admins)


def recent_alerts(integration_id: int, limit: int = 20) -> list[Alert]:
    return list(db.session.scalars(select(Alert).where(Alert.integration_id == integration_id)
                                   .order_by(Alert.updated_at.desc(), Alert.id.desc()).limit(limit)))

