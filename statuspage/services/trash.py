"""Soft delete, the trash view, restore, and the separate admin-only purge that needs the typed name."""
from __future__ import annotations

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import func, select, update

from ..extensions import db
from ..models import Component, ComponentGroup, Incident, Subscriber, Playbook, Tenant, UpstreamEntry
from . import audit
from .audit import Actor
from .incidents import delete_incident, restore_incident
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
                          "deleted_at": obj.deleted_at})
    items.sort(key=lambda i: i["deleted_at"], reverse=True)
    return items


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
