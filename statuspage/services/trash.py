"""Soft delete, the trash view, restore, and the separate admin-only purge that needs the typed name."""
from __future__ import annotations

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import func, select, update

from ..extensions import db
from ..models import (AuditEntry, Component, ComponentGroup, Incident, IncidentComponent, Playbook, Responder,
                      Subscriber, Tenant, UpstreamEntry)
from ..models.incident import CLOSED_STATUSES, incident_tenant
from ..models.subscriber import subscriber_component
from . import audit
from .audit import Actor
from .incidents import delete_incident, restore_incident
from .responders import responder_dict
from .snapshots import component_dict, group_dict, incident_dict, subscriber_dict, template_dict, tenant_dict
from .validation import ValidationError

# kind → (model, label, attribute a person types to purge, snapshot)
KINDS = {
    "incident": (Incident, _l("Incident or maintenance"), "name", lambda o: incident_dict(o, with_updates=False)),
    "template": (Playbook, _l("Playbook"), "name", template_dict),
    "component": (Component, _l("Component"), "name", component_dict),
    "group": (ComponentGroup, _l("Component group"), "name", group_dict),
    "tenant": (Tenant, _l("Tenant"), "slug", tenant_dict),
    "subscriber": (Subscriber, _l("Subscriber"), "address", subscriber_dict),
    "responder": (Responder, _l("Responder"), "name", responder_dict),
}


def get_object(kind: str, object_id: int | None, deleted: bool | None = None):
    if kind not in KINDS or not object_id:
        return None
    obj = db.session.get(KINDS[kind][0], object_id)
    if obj is None or (deleted is not None and (obj.deleted_at is not None) != deleted):
        return None
    return obj


def display_name(kind: str, obj) -> str:
    return str(getattr(obj, KINDS[kind][2]))


def trash_items() -> list[dict]:
    items = []
    for kind, (model, label, _attr, _snap) in KINDS.items():
        for obj in db.session.scalars(select(model).where(model.deleted_at.is_not(None))
                                      .order_by(model.deleted_at.desc()).limit(500)):
            items.append({"kind": kind, "label": label, "id": obj.id, "name": display_name(kind, obj),
                          "title": getattr(obj, "name", None) if kind == "tenant" else None,
                          "deleted_at": obj.deleted_at, "deleted_by": None, "brings_back": None})
            if kind in ("tenant", "component"):
                items[-1]["brings_back"] = dependents(kind, obj)
    items.sort(key=lambda i: i["deleted_at"], reverse=True)
    _add_who_deleted(items)
    return items


def _add_who_deleted(items: list[dict]) -> None:
    """Who moved each item to the trash, from the newest delete entry of the audit log."""
    keys = {(_object_type(i["kind"]), str(i["id"])) for i in items}
    if not keys:
        return
    who = {}
    query = (select(AuditEntry.object_type, AuditEntry.object_id, AuditEntry.actor)
             .where(AuditEntry.action.in_(("delete", "subscriber.delete")),
                    AuditEntry.object_type.in_({k[0] for k in keys} | {"maintenance"}),
                    AuditEntry.object_id.in_({k[1] for k in keys}))
             .order_by(AuditEntry.id))
    for object_type, object_id, actor in db.session.execute(query):
        who[("incident" if object_type == "maintenance" else object_type, object_id)] = actor
    for item in items:
        item["deleted_by"] = who.get((_object_type(item["kind"]), str(item["id"])))


def _open_incidents(query) -> list[Incident]:
    return list(db.session.scalars(query.where(Incident.deleted_at.is_(None), Incident.status.not_in(CLOSED_STATUSES))
                                   .order_by(Incident.started_at.desc()).limit(200)))


def dependents(kind: str, obj) -> dict:
    """What deleting a tenant or a component touches: open incidents on it, its subscribers or
    subscriptions, and for a tenant its page (private or not) and the components it owns."""
    if kind == "tenant":
        incidents = _open_incidents(select(Incident).join(incident_tenant, incident_tenant.c.incident_id == Incident.id)
                                    .where(incident_tenant.c.tenant_id == obj.id))
        subscribers = db.session.scalar(select(func.count()).select_from(Subscriber).where(
            Subscriber.tenant_id == obj.id, Subscriber.deleted_at.is_(None)))
        components = db.session.scalar(select(func.count()).select_from(Component).where(
            Component.tenant_id == obj.id, Component.deleted_at.is_(None)))
        return {"open_incidents": incidents, "subscribers": subscribers, "components": components,
                "page": f"/t/{obj.slug}/", "private": obj.private}
    incidents = _open_incidents(select(Incident).join(IncidentComponent, IncidentComponent.incident_id == Incident.id)
                                .where(IncidentComponent.component_id == obj.id))
    subscriptions = db.session.scalar(
        select(func.count()).select_from(Subscriber)
        .join(subscriber_component, subscriber_component.c.subscriber_id == Subscriber.id)
        .where(subscriber_component.c.component_id == obj.id, Subscriber.deleted_at.is_(None),
               Subscriber.all_components.is_(False)))
    return {"open_incidents": incidents, "subscriptions": subscriptions}


def delete_confirmed(kind: str, obj, typed_name: str, *, override: bool = False, actor: Actor) -> None:
    """Move a tenant or component to the trash once its name is typed back.

    A tenant with open incidents stays unless `override` (audited as such): its page would 404 while
    customers are still reading it.
    """
    if (typed_name or "").strip() != obj.name:
        raise ValidationError({"confirm": _("Type the exact name to delete: %(name)s", name=obj.name)})
    if kind == "tenant":
        open_incidents = dependents(kind, obj)["open_incidents"]
        if open_incidents and not override:
            raise ValidationError({"override": _("This tenant has %(n)d open incidents: resolve them first, or "
                                                 "tick the box to delete it anyway.", n=len(open_incidents))})
        if open_incidents:
            audit.record("delete_override", "tenant", obj.id, actor=actor,
                         summary=f"{obj.name}: deleted with {len(open_incidents)} open incidents "
                                 f"({', '.join(str(i.id) for i in open_incidents)})")
    soft_delete(kind, obj, actor=actor)


def soft_delete(kind: str, obj, *, actor: Actor) -> None:
    if kind == "incident":
        delete_incident(obj, actor=actor)
    else:
        _set_deleted(kind, obj, "delete", actor)


def restore(kind: str, obj, *, actor: Actor) -> None:
    if kind == "incident":
        restore_incident(obj, actor=actor)
    else:
        _set_deleted(kind, obj, "restore", actor)


def _set_deleted(kind: str, obj, action: str, actor: Actor) -> None:
    snap = KINDS[kind][3]
    before = snap(obj)
    obj.soft_delete() if action == "delete" else obj.restore()
    db.session.flush()
    audit.record(action, _object_type(kind), obj.id, actor=actor, before=before, after=snap(obj),
                 summary=display_name(kind, obj))
    db.session.commit()


def _object_type(kind: str) -> str:
    return "component_group" if kind == "group" else kind


def purge(kind: str, obj, typed_name: str, *, actor: Actor) -> None:
    """Delete for good. Only from the trash, only with the exact name typed."""
    if obj.deleted_at is None:
        raise ValidationError({"confirm": _("Move it to the trash first.")})
    if (typed_name or "").strip() != display_name(kind, obj):
        raise ValidationError({"confirm": _("Type the exact name to purge: %(name)s", name=display_name(kind, obj))})
    before = KINDS[kind][3](obj)
    if kind == "tenant":
        users = db.session.scalar(select(func.count()).select_from(Subscriber).where(Subscriber.tenant_id == obj.id))
        users += db.session.scalar(select(func.count()).select_from(Component).where(Component.tenant_id == obj.id))
        if users:
            raise ValidationError({"confirm": _("%(n)d subscribers or components still belong to this tenant; "
                                                "purge those first.", n=users)})
    if kind == "group":
        db.session.execute(update(Component).where(Component.group_id == obj.id).values(group_id=None))
    if kind == "incident":
        db.session.execute(update(UpstreamEntry).where(UpstreamEntry.incident_id == obj.id).values(incident_id=None))
    audit.record("purge", _object_type(kind), obj.id, actor=actor, before=before, after=None,
                 summary=display_name(kind, obj))
    db.session.delete(obj)
    db.session.commit()
