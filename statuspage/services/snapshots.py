"""Plain-dict views of domain objects: audit before/after, the admin API and the export share them."""
from __future__ import annotations

from ..models import Component, ComponentGroup, Delivery, Incident, IncidentUpdate, Subscriber, Playbook, Tenant


def _ts(value) -> str | None:
    return value.isoformat() if value else None


def component_dict(c: Component) -> dict:
    return {"id": c.id, "name": c.name, "description": c.description, "status": c.status,
            "position": c.position, "group_id": c.group_id, "group": c.group.name if c.group else None,
            "tenant_id": c.tenant_id, "show_uptime": c.show_uptime, "showcase": c.showcase,
            "only_show_if_degraded": c.only_show_if_degraded, "third_party": c.third_party,
            "start_date": c.start_date.isoformat() if c.start_date else None,
            "created_at": _ts(c.created_at), "updated_at": _ts(c.updated_at), "deleted_at": _ts(c.deleted_at)}


def group_dict(g: ComponentGroup) -> dict:
    return {"id": g.id, "name": g.name, "description": g.description, "position": g.position,
            "created_at": _ts(g.created_at), "updated_at": _ts(g.updated_at), "deleted_at": _ts(g.deleted_at)}


def tenant_dict(t: Tenant) -> dict:
    return {"id": t.id, "name": t.name, "slug": t.slug, "description": t.description, "private": t.private,
            "access_version": t.access_version, "created_at": _ts(t.created_at), "updated_at": _ts(t.updated_at),
            "deleted_at": _ts(t.deleted_at)}


def update_dict(u: IncidentUpdate) -> dict:
    return {"id": u.id, "incident_id": u.incident_id, "status": u.status, "body": u.body,
            "body_translations": dict(u.body_translations or {}),
            "affected_components": list(u.affected_components or []),
            "deliver_notifications": u.deliver_notifications, "created_at": _ts(u.created_at),
            "updated_at": _ts(u.updated_at),
            "display_at": _ts(u.display_at), "author_id": u.author_id,
            "fanout_state": u.fanout_state, "fanout_count": u.fanout_count}


def incident_dict(i: Incident, with_updates: bool = True) -> dict:
    data = {"id": i.id, "kind": i.kind, "name": i.name, "name_translations": dict(i.name_translations or {}),
            "status": i.status, "impact": i.impact, "severity": i.severity,
            "roles": dict(i.roles or {}), "visibility": i.visibility, "draft": i.draft,
            "component_ids": [a.component_id for a in i.affected],
            "components": {str(a.component_id): a.status for a in i.affected},
            "tenant_slugs": [t.slug for t in i.tenants],
            "started_at": _ts(i.started_at), "monitoring_at": _ts(i.monitoring_at), "resolved_at": _ts(i.resolved_at),
            "last_public_update_at": _ts(i.last_public_update_at), "owner_id": i.owner_id,
            "scheduled_for": _ts(i.scheduled_for), "scheduled_until": _ts(i.scheduled_until),
            "auto_transition": i.auto_transition, "notify_on_start": i.notify_on_start,
            "notify_on_complete": i.notify_on_complete,
            "postmortem_body": i.postmortem_body, "postmortem_published_at": _ts(i.postmortem_published_at),
            "created_at": _ts(i.created_at), "updated_at": _ts(i.updated_at), "deleted_at": _ts(i.deleted_at)}
    if with_updates:
        data["updates"] = [update_dict(u) for u in i.updates]
    return data


def template_dict(t: Playbook) -> dict:
    return {"id": t.id, "name": t.name, "impact": t.impact, "status": t.status, "texts": dict(t.texts or {}),
            "defaults": dict(t.defaults or {}), "component_ids": list(t.component_ids or []),
            "optional_placeholders": list(t.optional_placeholders or []), "deleted_at": _ts(t.deleted_at)}


def subscriber_dict(s: Subscriber) -> dict:
    return {"id": s.id, "channel": s.channel, "address": s.address,
            "tenant": s.tenant.slug if s.tenant else None, "locale": s.locale,
            "all_components": s.all_components, "component_ids": [c.id for c in s.components],
            "confirmed": s.confirmed, "confirmed_at": _ts(s.confirmed_at), "opted_out": s.opted_out,
            "opted_out_at": _ts(s.opted_out_at), "test_audience": s.test_audience, "source": s.source,
            "created_at": _ts(s.created_at), "deleted_at": _ts(s.deleted_at)}


def delivery_dict(d: Delivery) -> dict:
    return {"id": d.id, "kind": d.kind, "update_id": d.update_id,
            "incident_id": d.update.incident_id if d.update is not None else None,
            "subscriber_id": d.subscriber_id, "channel": d.channel, "recipient": d.recipient,
            "status": d.status, "attempts": d.attempts, "last_error": d.last_error,
            "provider_id": d.provider_id, "created_at": _ts(d.created_at), "sent_at": _ts(d.sent_at)}
