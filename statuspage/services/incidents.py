"""The incident lifecycle: open, update, resolve, publish a draft, delete and restore.

Every write here is one transaction: the update row, the component status
changes, the audit entry and (when notifications are on and the incident is
not a draft) the fan-out of delivery rows commit together or not at all.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import (
    ACTIVE_MAINTENANCE_STATUSES, CLOSED_STATUSES, COMPONENT_SEVERITY, COMPONENT_STATUSES, IMPACTS, INCIDENT_STATUSES,
    MAINTENANCE_STATUSES, VISIBILITIES, Component, Incident, IncidentComponent, IncidentUpdate, Tenant, utcnow)
from . import audit, idempotency
from .audit import Actor
# resolution_conflicts and settled_status are also read through this module by the views and alerts.
from .component_effects import (  # noqa: F401
    affects_public_components, apply_component_statuses, default_component_status, follow_visibility,
    resolution_conflicts, settled_status)
from .fanout import fan_out_update
from .incident_response import change_severity, clean_severity, declare, default_severity
from .playbooks import unfilled_placeholders
from .snapshots import incident_dict
from .tenants import find_tenants_by_slugs
from .validation import ValidationError, boolean, choice, int_list, str_list, text, translations

TRANSLATED_LOCALES = ("zh_Hans",)
NAME_MAX = 300
BODY_MAX = 20000


def statuses_for(kind: str) -> tuple[str, ...]:
    return MAINTENANCE_STATUSES if kind == "maintenance" else INCIDENT_STATUSES


def clean_component_statuses(data: dict) -> dict[int, str]:
    """`components` ({id: status}) merged with `component_ids` (status left as given or unchanged)."""
    raw = data.get("components")
    raw = {} if raw is None else raw
    if not isinstance(raw, dict) or len(raw) > 1000:
        raise ValidationError({"components": _("Must map component ids to statuses.")})
    out: dict[int, str] = {}
    for key, status in raw.items():
        try:
            cid = int(key)
        except (TypeError, ValueError):
            raise ValidationError({"components": _("Must map component ids to statuses.")}) from None
        if status not in COMPONENT_STATUSES:
            raise ValidationError({"components": _("Must be one of: %(choices)s.", choices=", ".join(COMPONENT_STATUSES))})
        out[cid] = status
    for cid in int_list(data, "component_ids"):
        out.setdefault(cid, "")
    _existing_components(out)
    return out


def _existing_components(ids) -> dict[int, Component]:
    ids = list(ids)
    in_range = [i for i in ids if 0 < i < 2**31]
    found = {c.id: c for c in db.session.scalars(
        select(Component).where(Component.id.in_(in_range), Component.deleted_at.is_(None)))} if in_range else {}
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise ValidationError({"components": _("Unknown component: %(ids)s.", ids=", ".join(missing) or "?")})
    return found


def tenants_by_slug(slugs: list[str]) -> list[Tenant]:
    if not slugs:
        return []
    found = find_tenants_by_slugs(slugs)
    missing = [s for s in slugs if s not in found]
    if missing:
        raise ValidationError({"tenant_slugs": _("Unknown tenant: %(slugs)s.", slugs=", ".join(missing))})
    return [found[s] for s in slugs]


def clean_incident(data: dict, kind: str = "incident", partial: bool = False) -> dict:
    """The validated fields of an incident (only those present when `partial`)."""
    out: dict = {}
    has = (lambda f: f in data) if partial else (lambda f: True)
    if has("name"):
        out["name"] = text(data, "name", NAME_MAX, required=True)
    if has("impact"):
        out["impact"] = choice(data, "impact", IMPACTS, default="minor" if kind == "incident" else "none")
    if has("visibility"):
        out["visibility"] = choice(data, "visibility", VISIBILITIES, default="public")
    if kind == "incident" and (not partial or "severity" in data):
        out["severity"] = clean_severity(data, out.get("impact"), required=partial)
        if partial:
            out["severity_reason"] = text(data, "severity_reason", 500)
    if has("draft"):
        out["draft"] = boolean(data, "draft", default=False)
    if has("deliver_notifications"):
        out["deliver_notifications"] = boolean(data, "deliver_notifications", default=True)
    if has("name_translations"):
        out["name_translations"] = translations(data, "name_translations", TRANSLATED_LOCALES, NAME_MAX)
    if has("tenant_slugs"):
        out["tenants"] = tenants_by_slug(str_list(data, "tenant_slugs", max_len=80))
    if (not partial) or "components" in data or "component_ids" in data:
        out["components"] = clean_component_statuses(data)
    if not partial:
        out["status"] = choice(data, "status", statuses_for(kind), default=statuses_for(kind)[0])
        out["body"] = text(data, "body", BODY_MAX)
        out["body_translations"] = translations(data, "body_translations", TRANSLATED_LOCALES, BODY_MAX)
    _no_placeholders_left(out.get("name"), out.get("body"), *(out.get("name_translations") or {}).values(),
                          *(out.get("body_translations") or {}).values())
    if out.get("visibility") == "tenants" and not out.get("tenants") and not partial:
        raise ValidationError({"tenant_slugs": _("Choose at least one tenant for a tenants-only incident.")})
    return out


def _no_placeholders_left(*texts) -> None:
    left = unfilled_placeholders(*[t for t in texts if t])
    if left:
        raise ValidationError({"body": _("Fill in %(names)s before posting: customers would see it as written.",
                                         names=", ".join(left))})


def clean_update(data: dict, incident: Incident) -> dict:
    out = {
        "status": choice(data, "status", statuses_for(incident.kind), default=incident.status),
        "body": text(data, "body", BODY_MAX, required=True),
        "body_translations": translations(data, "body_translations", TRANSLATED_LOCALES, BODY_MAX),
        "deliver_notifications": boolean(data, "deliver_notifications", default=True),
        "components": clean_component_statuses(data),
    }
    _no_placeholders_left(out["body"], *out["body_translations"].values())
    return out


def create_incident(*, name: str, status: str, impact: str = "minor", body: str = "", components: dict | None = None,
                    tenants=(), visibility: str = "public", draft: bool = False, deliver_notifications: bool = True,
                    name_translations: dict | None = None, body_translations: dict | None = None,
                    kind: str = "incident", actor: Actor, commit: bool = True, post_token: str | None = None,
                    severity: str | None = None, **window) -> Incident:
    """Open an incident (or schedule a maintenance) with its first update; the acting user owns it.

    `post_token` is the form's one-time token: a second post with it raises AlreadyPosted and changes nothing.
    """
    token = idempotency.claim_form_token(post_token, actor=actor)
    incident = Incident(kind=kind, name=name, status=statuses_for(kind)[0], impact=impact, visibility=visibility,
                        draft=draft, name_translations=name_translations or {},
                        owner_id=actor.user_id, started_at=utcnow(), severity=severity or default_severity(impact),
                        **window)
    incident.tenants = list(tenants)
    if kind == "maintenance" and incident.scheduled_for:
        incident.started_at = incident.scheduled_for
    db.session.add(incident)
    for cid, st in (components or {}).items():
        incident.affected.append(IncidentComponent(component_id=cid, status=st or default_component_status(kind, impact)))
    db.session.flush()
    if token is not None:
        token.incident_id = incident.id
    post_update(incident, status, body or _("We are investigating this issue."), components or {},
                deliver_notifications, body_translations=body_translations, actor=actor, commit=False, audit_it=False)
    declare(incident, actor)
    audit.record("create", incident.kind, incident.id, actor=actor, after=incident_dict(incident),
                 summary=incident.name)
    if commit:
        db.session.commit()
    return incident


def post_update(incident: Incident, status: str, body: str, component_statuses: dict | None = None,
                deliver_notifications: bool = True, *, body_translations: dict | None = None, actor: Actor,
                commit: bool = True, audit_it: bool = True, now: datetime | None = None,
                post_token: str | None = None) -> IncidentUpdate:
    """Add a timeline entry by `actor`, move component statuses, and fan out the notice when it should go out.

    `post_token` is the form's one-time token: a second post with it raises AlreadyPosted and changes nothing.
    """
    token = idempotency.claim_form_token(post_token, actor=actor)
    if token is not None:
        token.incident_id = incident.id
    now = now or utcnow()
    before = incident_dict(incident, with_updates=False) if audit_it else None
    changes = apply_component_statuses(incident, component_statuses or {}, status)
    incident.status = status
    if status == "monitoring" and not incident.monitoring_at:
        incident.monitoring_at = now
    if status in CLOSED_STATUSES:
        incident.resolved_at = incident.resolved_at or now
    else:
        incident.resolved_at = None
    if incident.visibility != "drill" and not incident.draft:
        incident.last_public_update_at = now
    update = IncidentUpdate(incident_id=incident.id, status=status, body=body,
                            body_translations=body_translations or {}, affected_components=changes,
                            deliver_notifications=deliver_notifications, created_at=now, display_at=now,
                            author_id=actor.user_id)
    db.session.add(update)
    db.session.flush()
    if deliver_notifications and not incident.draft:
        update.incident = incident
        fan_out_update(update)
    if audit_it:
        audit.record("post_update", incident.kind, incident.id, actor=actor, before=before,
                     after=incident_dict(incident, with_updates=False), summary=f"{status}: {body[:200]}")
    if commit:
        db.session.commit()
    return update


def update_incident(incident: Incident, fields: dict, *, actor: Actor, commit: bool = True) -> Incident:
    """Edit name, impact, visibility, tenants, components, translations; `draft: False` publishes.

    Checked before anything changes, so a refused edit leaves the incident as it was.
    """
    before = incident_dict(incident, with_updates=False)
    was_public = affects_public_components(incident)
    publish = incident.draft and fields.get("draft") is False
    if not incident.draft and fields.get("draft") is True:
        raise ValidationError({"draft": _("A published incident cannot become a draft again.")})
    if fields.get("visibility", incident.visibility) == "tenants" and not fields.get("tenants", incident.tenants):
        raise ValidationError({"tenant_slugs": _("Choose at least one tenant for a tenants-only incident.")})
    for key in ("name", "impact", "visibility", "name_translations"):
        if key in fields:
            setattr(incident, key, fields[key])
    if "tenants" in fields:
        incident.tenants = fields["tenants"]
    if "components" in fields:
        wanted = fields["components"]
        for link in list(incident.affected):
            if link.component_id not in wanted:
                incident.affected.remove(link)
                if was_public and incident.is_open:
                    link.component.status = settled_status(link.component, excluding=incident)
        db.session.flush()
        if affects_public_components(incident) and not publish:
            apply_component_statuses(incident, wanted, incident.status)
        else:
            for cid, st in wanted.items():
                if cid not in {a.component_id for a in incident.affected}:
                    incident.affected.append(IncidentComponent(
                        component_id=cid, status=st or default_component_status(incident.kind, incident.impact)))
                elif st:
                    next(a for a in incident.affected if a.component_id == cid).status = st
    if "severity" in fields:
        change_severity(incident, fields["severity"], fields.get("severity_reason", ""), actor=actor, commit=False)
    if not publish:
        follow_visibility(incident, was_public)
    if publish:
        _publish(incident)
        declare(incident, actor)
    audit.record("publish" if publish else "update", incident.kind, incident.id, actor=actor, before=before,
                 after=incident_dict(incident, with_updates=False), summary=incident.name)
    if commit:
        db.session.commit()
    return incident


def _publish(incident: Incident) -> None:
    """A draft goes live: components move now and its latest notice goes out now."""
    incident.draft = False
    incident.started_at = incident.started_at if incident.kind == "maintenance" else utcnow()
    db.session.flush()
    if incident.visibility != "drill":
        incident.last_public_update_at = utcnow()
    if incident.kind == "incident" or incident.status in ACTIVE_MAINTENANCE_STATUSES:
        apply_component_statuses(incident, {}, incident.status)
    latest = incident.updates[0] if incident.updates else None
    if latest is not None and latest.deliver_notifications:
        fan_out_update(latest)


def delete_incident(incident: Incident, *, actor: Actor, commit: bool = True) -> None:
    before = incident_dict(incident, with_updates=False)
    was_live = affects_public_components(incident) and incident.is_open
    incident.soft_delete()
    db.session.flush()
    if was_live:
        for link in incident.affected:
            link.component.status = settled_status(link.component, excluding=incident)
    audit.record("delete", incident.kind, incident.id, actor=actor, before=before,
                 after=incident_dict(incident, with_updates=False), summary=incident.name)
    if commit:
        db.session.commit()


def restore_incident(incident: Incident, *, actor: Actor, commit: bool = True) -> None:
    before = incident_dict(incident, with_updates=False)
    incident.restore()
    db.session.flush()
    if affects_public_components(incident) and incident.is_open and (
            incident.kind == "incident" or incident.status in ACTIVE_MAINTENANCE_STATUSES):
        for link in incident.affected:
            worst = max((link.status, link.component.status), key=lambda s: COMPONENT_SEVERITY.get(s, 0))
            link.component.status = worst
    audit.record("restore", incident.kind, incident.id, actor=actor, before=before,
                 after=incident_dict(incident, with_updates=False), summary=incident.name)
    if commit:
        db.session.commit()


def save_postmortem(incident: Incident, body: str, publish: bool | None = None, *, actor: Actor,
                    commit: bool = True) -> None:
    """Postmortem text; `publish` True shows it on the incident page, False takes it back to draft."""
    before = {"postmortem_body": incident.postmortem_body,
              "postmortem_published_at": incident.postmortem_published_at.isoformat()
              if incident.postmortem_published_at else None}
    incident.postmortem_body = body
    if publish is True and not incident.postmortem_published_at:
        incident.postmortem_published_at = utcnow()
    elif publish is False:
        incident.postmortem_published_at = None
    audit.record("postmortem", incident.kind, incident.id, actor=actor, before=before,
                 after={"postmortem_body": body, "postmortem_published_at":
                        incident.postmortem_published_at.isoformat() if incident.postmortem_published_at else None},
                 summary=incident.name)
    if commit:
        db.session.commit()


def edit_and_post_update(incident: Incident, fields: dict, update_fields: dict | None, *, actor: Actor) -> Incident:
    """The API's PATCH: edit the incident and, when a status or body came with it, post an update; one commit."""
    update_incident(incident, fields, actor=actor, commit=False)
    if update_fields is not None:
        post_update(incident, update_fields["status"], update_fields["body"], {},
                    update_fields["deliver_notifications"], body_translations=update_fields["body_translations"],
                    actor=actor, commit=False)
    db.session.commit()
    return incident


def list_incidents(*, kind: str | None = "incident", state: str | None = None, include_deleted: bool = False,
                   order: str = "newest", limit: int | None = 200) -> list[Incident]:
    """Incidents or maintenances for the admin lists and the API.

    state: "open", "closed" or None (both). order: "newest" (started), "soonest" (scheduled start first),
    "schedule" (open windows first, latest scheduled first).
    """
    query = select(Incident)
    if not include_deleted:
        query = query.where(Incident.deleted_at.is_(None))
    if kind:
        query = query.where(Incident.kind == kind)
    if state == "open":
        query = query.where(Incident.status.not_in(CLOSED_STATUSES))
    elif state == "closed":
        query = query.where(Incident.status.in_(CLOSED_STATUSES))
    if order == "soonest":
        query = query.order_by(Incident.scheduled_for, Incident.id)
    elif order == "schedule":
        query = query.order_by(Incident.status.in_(CLOSED_STATUSES), Incident.scheduled_for.desc(), Incident.id.desc())
    else:
        query = query.order_by(Incident.started_at.desc(), Incident.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query))
