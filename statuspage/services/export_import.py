"""The whole configuration as one JSON file, and back into an empty instance."""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import func, select, text

from ..extensions import db
from ..models import (Component, ComponentGroup, Incident, IncidentComponent, IncidentUpdate, Setting, Subscriber,
                      SiteState, Playbook, Tenant, subscriber_component, utcnow)
from . import audit
from .audit import Actor
from .import_rules import check_import
from .subscriptions import create_subscriber
from .snapshots import component_dict, group_dict, incident_dict, subscriber_dict, template_dict, tenant_dict
from .validation import ValidationError

FORMAT = "statuspage-export"
VERSION = 1


def export_config() -> dict:
    """Everything an operator configured, deleted rows included (so the trash survives a move)."""
    def rows(model, snap):
        return [snap(o) for o in db.session.scalars(select(model).order_by(model.id))]

    subscribers = []
    for sub in db.session.scalars(select(Subscriber).order_by(Subscriber.id)):
        data = subscriber_dict(sub)
        data["token"] = sub.token
        data["webhook_secret"] = sub.webhook_secret
        subscribers.append(data)
    return {
        "format": FORMAT, "version": VERSION, "exported_at": utcnow().isoformat(),
        "settings": {s.key: s.value for s in db.session.scalars(select(Setting).order_by(Setting.key))},
        "site_changed_at": _site_changed_at(),
        "component_groups": rows(ComponentGroup, group_dict),
        "tenants": rows(Tenant, tenant_dict),
        "components": rows(Component, component_dict),
        "templates": rows(Playbook, template_dict),
        "incidents": rows(Incident, incident_dict),
        "subscribers": subscribers,
    }


def _site_changed_at() -> str | None:
    state = db.session.get(SiteState, 1)
    return state.changed_at.isoformat() if state is not None else None


def _stamps(row: dict) -> dict:
    """Keep the original timestamps: the public page and API show them."""
    return {"created_at": _dt(row.get("created_at")) or utcnow(), "updated_at": _dt(row.get("updated_at")) or utcnow()}


def _dt(value):
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else None


def _is_empty() -> bool:
    return all(not db.session.scalar(select(func.count()).select_from(m))
               for m in (Component, ComponentGroup, Tenant, Incident, Subscriber, Playbook))


def import_config(data: dict, actor: Actor) -> dict:
    """Load an export into an empty instance, keeping ids so links keep working; committed, all or nothing."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValidationError({"file": _("This is not a statuspage export file.")})
    if not _is_empty():
        raise ValidationError({"file": _("Import needs an empty instance: it already has components, tenants, "
                                         "incidents, playbooks or subscribers.")})
    check_import(data)
    try:
        counts = _load(data)
    except (KeyError, TypeError, ValueError) as exc:
        db.session.rollback()
        raise ValidationError({"file": _("The file is incomplete or damaged (%(detail)s).", detail=str(exc)[:200])}) from None
    audit.record("import", "configuration", None, actor=actor, after=counts, summary=str(counts))
    _reset_sequences()
    db.session.flush()
    changed_at = _dt(data.get("site_changed_at"))
    state = db.session.get(SiteState, 1)
    if changed_at and state is not None:
        # The same data as at export time: the page keeps saying when it last changed.
        state.changed_at = changed_at
    db.session.commit()
    return counts


def _load(data: dict) -> dict:
    for key, value in (data.get("settings") or {}).items():
        db.session.merge(Setting(key=key, value=value))
    for g in data.get("component_groups", []):
        db.session.add(ComponentGroup(id=g["id"], name=g["name"], description=g.get("description", ""),
                                      position=g.get("position", 0), deleted_at=_dt(g.get("deleted_at")), **_stamps(g)))
    for t in data.get("tenants", []):
        db.session.add(Tenant(id=t["id"], name=t["name"], slug=t["slug"], description=t.get("description", ""),
                              private=bool(t.get("private")), access_version=t.get("access_version", 1),
                              deleted_at=_dt(t.get("deleted_at")), **_stamps(t)))
    db.session.flush()
    for c in data.get("components", []):
        db.session.add(Component(
            id=c["id"], name=c["name"], description=c.get("description", ""), status=c["status"],
            position=c.get("position", 0), group_id=c.get("group_id"), tenant_id=c.get("tenant_id"),
            show_uptime=c.get("show_uptime", True), showcase=c.get("showcase", True),
            only_show_if_degraded=c.get("only_show_if_degraded", False), third_party=c.get("third_party", False),
            start_date=date.fromisoformat(c["start_date"]) if c.get("start_date") else None,
            deleted_at=_dt(c.get("deleted_at")), **_stamps(c)))
    for t in data.get("templates", []):
        db.session.add(Playbook(id=t["id"], name=t["name"], impact=t["impact"], status=t["status"],
                                texts=t.get("texts", {}), defaults=t.get("defaults", {}),
                                component_ids=t.get("component_ids", []),
                                optional_placeholders=t.get("optional_placeholders", []),
                                deleted_at=_dt(t.get("deleted_at"))))
    db.session.flush()
    tenants = {t.slug: t for t in db.session.scalars(select(Tenant))}
    for i in data.get("incidents", []):
        _load_incident(i, tenants)
    for s in data.get("subscribers", []):
        tenant = tenants.get(s.get("tenant")) if s.get("tenant") else None
        sub = create_subscriber(s["channel"], s["address"], tenant=tenant, locale=s.get("locale", "en"),
                                confirmed=bool(s.get("confirmed")), test_audience=bool(s.get("test_audience")),
                                source="import", id=s["id"], all_components=s.get("all_components", True),
                                **_stamps(s),
                                confirmed_at=_dt(s.get("confirmed_at")), opted_out=bool(s.get("opted_out")),
                                opted_out_at=_dt(s.get("opted_out_at")), token=s["token"],
                                webhook_secret=s.get("webhook_secret"), deleted_at=_dt(s.get("deleted_at")))
        for cid in s.get("component_ids", []):
            db.session.execute(subscriber_component.insert().values(subscriber_id=sub.id, component_id=cid))
    db.session.flush()
    return {key: len(data.get(key, [])) for key in
            ("component_groups", "tenants", "components", "templates", "incidents", "subscribers")}


def _load_incident(i: dict, tenants: dict) -> None:
    inc = Incident(
        id=i["id"], kind=i.get("kind", "incident"), name=i["name"], name_translations=i.get("name_translations", {}),
        status=i["status"], impact=i["impact"], visibility=i.get("visibility", "public"), draft=bool(i.get("draft")),
        started_at=_dt(i.get("started_at")) or utcnow(), monitoring_at=_dt(i.get("monitoring_at")),
        resolved_at=_dt(i.get("resolved_at")), last_public_update_at=_dt(i.get("last_public_update_at")),
        scheduled_for=_dt(i.get("scheduled_for")), scheduled_until=_dt(i.get("scheduled_until")),
        auto_transition=i.get("auto_transition", True), notify_on_start=i.get("notify_on_start", True),
        notify_on_complete=i.get("notify_on_complete", True), postmortem_body=i.get("postmortem_body", ""),
        postmortem_published_at=_dt(i.get("postmortem_published_at")), deleted_at=_dt(i.get("deleted_at")),
        **_stamps(i))
    inc.tenants = [tenants[s] for s in i.get("tenant_slugs", [])]
    for cid, st in (i.get("components") or {}).items():
        inc.affected.append(IncidentComponent(component_id=int(cid), status=st))
    db.session.add(inc)
    db.session.flush()
    for u in i.get("updates", []):
        db.session.add(IncidentUpdate(
            id=u["id"], incident_id=inc.id, status=u["status"], body=u.get("body", ""),
            body_translations=u.get("body_translations", {}), affected_components=u.get("affected_components", []),
            deliver_notifications=u.get("deliver_notifications", False), display_at=_dt(u.get("display_at")) or utcnow(),
            fanout_state="done", fanout_count=0, **_stamps(u)))


def _reset_sequences() -> None:
    """Explicit ids bypass PostgreSQL sequences; move them past the imported rows."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for table in ("component_group", "tenant", "component", "template", "incident", "incident_update", "subscriber"):
        db.session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"))  # nosec B608: table names from the fixed tuple above
