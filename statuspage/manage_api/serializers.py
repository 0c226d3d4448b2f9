"""Atlassian Statuspage manage API v1 shapes. Ids are strings and the same as the public v2 API's
(`public.serializers`): components and incidents by number, groups as "group-<n>"."""
from __future__ import annotations

import phonenumbers
from flask import current_app

from ..cache import current_version
from ..models import Component, ComponentGroup, Incident, IncidentUpdate, Playbook, Subscriber, Tenant, utcnow
from ..public.serializers import group_id, iso
from ..services import catalog
from ..services import status as site_status
from ..services import subscriptions as subs
from ..services.incident_metadata import incident_metadata
from ..services.page_profile import page_profile

MODES = {"email": "email", "sms": "sms", "webhook": "webhook"}


def _base_url() -> str:
    return (current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")


def page(pid: str) -> dict:
    profile = page_profile()
    version = current_version()
    return {
        "id": pid, "created_at": iso(profile["created_at"]), "updated_at": iso(version[1] if version else utcnow()),
        "name": profile["name"], "page_description": None, "headline": None, "branding": "basic",
        "subdomain": None, "domain": profile["domain"], "url": profile["url"], "support_url": None,
        "hidden_from_search": False, "allow_page_subscribers": True, "allow_incident_subscribers": False,
        "allow_email_subscribers": True, "allow_sms_subscribers": True, "allow_rss_atom_feeds": True,
        "allow_webhook_subscribers": True, "notifications_from_email": profile["notifications_from_email"],
        "notifications_email_footer": None, "activity_score": 0, "twitter_username": None,
        "viewers_must_be_team_members": False, "ip_restrictions": None, "city": None, "state": None,
        "country": None, "time_zone": profile["time_zone"], "css_body_background_color": None,
        "css_font_color": None, "css_light_font_color": None, "css_greens": None, "css_yellows": None,
        "css_oranges": None, "css_blues": None, "css_reds": None, "css_border_color": None,
        "css_graph_color": None, "css_link_color": None, "css_no_data": None, "favicon_logo": None,
        "transactional_logo": None, "hero_cover": None, "email_logo": None, "twitter_logo": None,
    }


def component(pid: str, comp: Component) -> dict:
    group = comp.group if comp.group is not None and comp.group.deleted_at is None else None
    return {
        "id": str(comp.id), "page_id": pid, "group_id": group_id(group) if group else None,
        "created_at": iso(comp.created_at), "updated_at": iso(comp.updated_at), "group": False,
        "name": comp.name, "description": comp.description or None, "position": comp.position,
        "status": comp.status, "showcase": comp.showcase, "only_show_if_degraded": comp.only_show_if_degraded,
        "automation_email": None, "start_date": iso(comp.start_date),
    }


def group_as_component(pid: str, grp: ComponentGroup, members: list[Component]) -> dict:
    """A group in the components list, as Statuspage (and our v2 API) shows it: `group: true`."""
    return {
        "id": group_id(grp), "page_id": pid, "group_id": None, "created_at": iso(grp.created_at),
        "updated_at": iso(grp.updated_at), "group": True, "name": grp.name, "description": grp.description or None,
        "position": grp.position, "status": site_status.group_status(members), "showcase": False,
        "only_show_if_degraded": False, "automation_email": None, "start_date": None,
        "components": [str(c.id) for c in members],
    }


def group(pid: str, grp: ComponentGroup) -> dict:
    return {
        "id": group_id(grp), "page_id": pid, "name": grp.name, "description": grp.description or None,
        "components": [str(c.id) for c in catalog.group_members(grp)], "position": grp.position,
        "created_at": iso(grp.created_at), "updated_at": iso(grp.updated_at),
    }


def incident_update(update: IncidentUpdate) -> dict:
    affected = [{"code": str(a.get("code")), "name": a.get("name"), "old_status": a.get("old_status"),
                 "new_status": a.get("new_status")}
                for a in (update.affected_components or []) if isinstance(a, dict)]
    return {
        "id": str(update.id), "incident_id": str(update.incident_id), "affected_components": affected or None,
        "body": update.body, "created_at": iso(update.created_at), "custom_tweet": None,
        "deliver_notifications": update.deliver_notifications, "display_at": iso(update.display_at),
        "status": update.status, "tweet_id": None, "twitter_updated_at": None, "updated_at": iso(update.updated_at),
        "wants_twitter_update": False,
    }


def incident(pid: str, item: Incident) -> dict:
    maintenance = item.is_maintenance
    return {
        "id": str(item.id), "components": [component(pid, a.component) for a in item.affected],
        "created_at": iso(item.created_at), "impact": item.impact, "impact_override": item.impact,
        "incident_updates": [incident_update(u) for u in item.updates], "metadata": incident_metadata(item.id),
        "monitoring_at": iso(item.monitoring_at), "name": item.name, "page_id": pid,
        "postmortem_body": item.postmortem_body or None, "postmortem_body_last_updated_at": None,
        "postmortem_ignored": False, "postmortem_notified_subscribers": False, "postmortem_notified_twitter": False,
        "postmortem_published_at": iso(item.postmortem_published_at), "resolved_at": iso(item.resolved_at),
        "scheduled_auto_completed": maintenance and item.auto_transition,
        "scheduled_auto_in_progress": maintenance and item.auto_transition,
        "scheduled_for": iso(item.scheduled_for),
        "auto_transition_deliver_notifications_at_end": maintenance and item.notify_on_complete,
        "auto_transition_deliver_notifications_at_start": maintenance and item.notify_on_start,
        "auto_transition_to_maintenance_state": maintenance and item.auto_transition,
        "auto_transition_to_operational_state": maintenance and item.auto_transition,
        "scheduled_remind_prior": False, "scheduled_reminded_at": None,
        "scheduled_until": iso(item.scheduled_until), "shortlink": f"{_base_url()}/incidents/{item.id}",
        "status": item.status, "updated_at": iso(item.updated_at), "started_at": iso(item.started_at),
    }


def template(pid: str, playbook: Playbook, components: list[Component]) -> dict:
    text = (playbook.texts or {}).get("en") or next(iter((playbook.texts or {}).values()), {}) or {}
    return {
        "id": str(playbook.id), "components": [component(pid, c) for c in components], "name": playbook.name,
        "title": text.get("title") or "", "body": text.get("body") or "", "group_id": None,
        "update_status": playbook.status, "should_tweet": False, "should_send_notifications": True,
    }


def subscriber(sub: Subscriber) -> dict:
    phone_number = phone_country = display = None
    if sub.channel == "sms":
        try:
            parsed = phonenumbers.parse(sub.address)
            phone_country = phonenumbers.region_code_for_number(parsed)
            phone_number = phonenumbers.national_significant_number(parsed)
            display = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        except phonenumbers.NumberParseException:
            phone_number = sub.address
    components = sub.components if not sub.all_components else subs.live_components(sub.tenant)
    return {
        "id": str(sub.id), "skip_confirmation_notification": False, "mode": MODES.get(sub.channel, sub.channel),
        "email": sub.address if sub.channel == "email" else None,
        "endpoint": sub.address if sub.channel == "webhook" else None,
        "phone_number": phone_number, "phone_country": phone_country, "display_phone_number": display,
        "obfuscated_channel_name": None, "workspace_name": None, "quarantined_at": None, "purge_at": None,
        "components": [str(c.id) for c in components], "page_access_user_id": None,
        "created_at": iso(sub.created_at), "state": subscriber_state(sub),
        "page_access_group_id": str(sub.tenant_id) if sub.tenant_id else None,
    }


def subscriber_state(sub: Subscriber) -> str:
    if sub.opted_out or sub.deleted_at is not None:
        return "unsubscribed"
    return "active" if sub.confirmed else "unconfirmed"


def page_access_group(pid: str, tenant: Tenant) -> dict:
    return {
        "id": str(tenant.id), "page_id": pid, "name": tenant.name, "page_access_user_ids": [],
        "external_identifier": tenant.slug, "metric_ids": [],
        "component_ids": [str(c.id) for c in catalog.tenant_components(tenant)],
        "created_at": iso(tenant.created_at), "updated_at": iso(tenant.updated_at),
    }
