"""A believable demo: a brokerage CRM platform, two customers, an outage in progress.

Idempotent: every object is found by its natural key (name, slug, address)
before it is created, so running `flask --app wsgi demo` twice adds nothing.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from .extensions import db
from .models import (Component, ComponentGroup, Incident, IncidentComponent, IncidentUpdate, Tenant,
                     utcnow)
from .services.playbooks import ensure_demo_templates
from .services.subscriptions import create_subscriber, find_subscriber
from .services.audit import Actor
from .services.catalog import save_tenant
from .services.tenants import access_url, find_tenant_by_slug

GROUPS = {
    "Core platform": ["Web app", "API", "CRM", "Withdrawals"],
    "Notifications": ["Email", "SMS"],
    "Third-party providers": ["Payment gateway"],
}
HOTLINE = "400-820-8820"
SUPPORT_EMAIL = "support@example.com"

POSTMORTEM = """## Summary
On the evening of the incident, withdrawal requests submitted through the CRM were
rejected for 47 minutes. No funds were lost; 212 requests were processed by hand.

## Timeline (UTC)
- 18:02 Deployment of CRM release 4.18 begins.
- 18:09 First customer reports a failed withdrawal.
- 18:14 On-call engineer confirms the failure and opens this incident.
- 18:31 Cause identified: a renamed configuration key for the payment gateway.
- 18:49 Configuration restored; withdrawals succeed again.

## Impact
Customers could not submit withdrawals for 47 minutes. Deposits and trading were not affected.

## Root cause
Release 4.18 renamed a configuration key. The deployment check validated the old
name only, so the release went out with the gateway disabled.

## What we change
1. Deployment checks now validate the configuration the new release reads.
2. Withdrawals get a synthetic check every minute that pages on-call.
3. The hotline playbook is linked from every withdrawal incident.
"""


def load_demo() -> str:
    """Create the demo data if missing and return a human summary. The caller commits."""
    now = utcnow()
    long_ago = now - timedelta(days=120)
    comps = _components(long_ago)
    northwind = _tenant("Northwind Trading", "northwind", private=False)
    globex = _tenant("Globex Securities", "globex", private=True)
    comps["Globex dedicated gateway"] = _component("Globex dedicated gateway", None, 10, long_ago, tenant=globex)
    created = _incidents(comps, globex, now)
    subscribers = _subscribers(northwind, globex, comps)
    ensure_demo_templates([comps[n].id for n in ("CRM", "Withdrawals") if n in comps])
    db.session.flush()
    lines = [
        "Demo data ready" + (" (already loaded: nothing was added)." if not created else "."),
        f"  components: {sum(len(v) for v in GROUPS.values())} in {len(GROUPS)} groups, "
        "plus one only on Globex's page",
        "  tenants: northwind (public), globex (private)",
        f"  incidents and maintenances created now: {created}",
        f"  confirmed subscribers: {subscribers}",
        "  status page: /   history: /history   API: /api/v2/summary.json",
        "  Northwind's page: /t/northwind/",
        f"  Globex's private page (keep this link secret): {access_url(globex)}",
        "Running `flask --app wsgi demo` again is safe: it adds nothing twice.",
    ]
    return "\n".join(lines)


def _first(stmt):
    return db.session.scalars(stmt).first()


def _components(created_at) -> dict[str, Component]:
    out: dict[str, Component] = {}
    for gpos, (group_name, names) in enumerate(GROUPS.items()):
        group = _first(select(ComponentGroup).where(ComponentGroup.name == group_name))
        if group is None:
            group = ComponentGroup(name=group_name, position=gpos, created_at=created_at)
            db.session.add(group)
            db.session.flush()
        for pos, name in enumerate(names):
            out[name] = _component(name, group, pos, created_at, third_party=group_name.startswith("Third"))
    return out


def _component(name, group, position, created_at, tenant=None, third_party=False) -> Component:
    comp = _first(select(Component).where(Component.name == name))
    if comp is None:
        comp = Component(name=name, group_id=group.id if group else None, position=position, created_at=created_at,
                         tenant_id=tenant.id if tenant else None, third_party=third_party,
                         description="" if not third_party else "Our card and bank transfer provider.")
        db.session.add(comp)
        db.session.flush()
    return comp


def _tenant(name, slug, private) -> Tenant:
    tenant = find_tenant_by_slug(slug, live=False)
    if tenant is None:
        tenant = save_tenant({"name": name, "slug": slug, "private": private}, actor=Actor.system())
    return tenant


def _incident(name, *, started, updates, components=(), resolved=None, **fields) -> Incident | None:
    """Create the incident with its timeline unless one of that name exists; None when it existed."""
    if _first(select(Incident).where(Incident.name == name)) is not None:
        return None
    incident = Incident(name=name, started_at=started, resolved_at=resolved, created_at=started, **fields)
    for comp, status in components:
        incident.affected.append(IncidentComponent(component_id=comp.id, status=status))
    db.session.add(incident)
    db.session.flush()
    for at, status, body, body_zh in updates:
        db.session.add(IncidentUpdate(incident_id=incident.id, status=status, body=body, created_at=at,
                                      display_at=at, body_translations={"zh_Hans": body_zh} if body_zh else {},
                                      deliver_notifications=False))
    incident.last_public_update_at = updates[-1][0]
    return incident


def _incidents(comps, globex, now) -> int:
    made = []
    started = now - timedelta(minutes=38)
    made.append(_incident(
        "CRM withdrawal requests are failing",
        name_translations={"zh_Hans": "CRM 出金申请失败"},
        status="identified", impact="major", started=started,
        components=[(comps["CRM"], "partial_outage"), (comps["Withdrawals"], "major_outage")],
        updates=[
            (started, "investigating",
             f"Withdrawal requests submitted in the CRM are failing. Please call the hotline **{HOTLINE}** "
             f"or email {SUPPORT_EMAIL} and we will process your withdrawal by hand.",
             f"CRM 中提交的出金申请目前失败。请致电热线 **{HOTLINE}** 或发送邮件至 {SUPPORT_EMAIL}，我们将人工为您处理出金。"),
            (started + timedelta(minutes=21), "identified",
             f"We found the cause: the payment gateway configuration. A fix is being deployed. The hotline "
             f"{HOTLINE} keeps processing withdrawals by hand until then.",
             f"已找到原因：支付网关配置错误，正在部署修复。在此之前，热线 {HOTLINE} 继续人工处理出金。"),
        ]))
    if made[-1] is not None:
        comps["CRM"].status = "partial_outage"
        comps["Withdrawals"].status = "major_outage"

    past = now - timedelta(days=12, hours=5)
    made.append(_incident(
        "Withdrawals rejected after CRM release 4.18",
        name_translations={"zh_Hans": "CRM 4.18 版本发布后出金被拒"},
        status="resolved", impact="critical", started=past, resolved=past + timedelta(minutes=47),
        monitoring_at=past + timedelta(minutes=40), postmortem_body=POSTMORTEM,
        postmortem_published_at=past + timedelta(days=2),
        components=[(comps["Withdrawals"], "major_outage"), (comps["CRM"], "degraded_performance")],
        updates=[
            (past, "investigating", f"Withdrawals are failing. Call {HOTLINE} and we process them by hand.", None),
            (past + timedelta(minutes=17), "identified", "A configuration change in today's release is the cause.", None),
            (past + timedelta(minutes=40), "monitoring", "The configuration is restored; we are watching withdrawals.", None),
            (past + timedelta(minutes=47), "resolved", "Withdrawals work normally again.", None),
        ]))

    sms = now - timedelta(days=30, hours=2)
    made.append(_incident(
        "短信通知延迟", name_translations={"en": "SMS notifications delayed"},
        status="resolved", impact="minor", started=sms, resolved=sms + timedelta(hours=3),
        components=[(comps["SMS"], "degraded_performance")],
        updates=[
            (sms, "investigating", "部分短信通知延迟送达，我们正在与运营商排查。", None),
            (sms + timedelta(hours=3), "resolved", "短信通知已恢复正常。", None),
        ]))

    for days, hours, comp, status in ((47, 2, "API", "partial_outage"), (63, 5, "Email", "degraded_performance"),
                                      (81, 1, "Web app", "major_outage")):
        at = now - timedelta(days=days)
        made.append(_incident(
            f"{comp} errors ({status.replace('_', ' ')})", status="resolved",
            impact="major" if status == "major_outage" else "minor", started=at, resolved=at + timedelta(hours=hours),
            components=[(comps[comp], status)],
            updates=[(at, "investigating", f"We are investigating errors on {comp}.", None),
                     (at + timedelta(hours=hours), "resolved", "Resolved.", None)]))

    gw = now - timedelta(days=5)
    made.append(_incident(
        "Dedicated gateway latency for Globex", visibility="tenants", status="resolved", impact="minor",
        started=gw, resolved=gw + timedelta(hours=1), tenants=[globex],
        components=[(comps["Globex dedicated gateway"], "degraded_performance")],
        updates=[(gw, "investigating", "Orders through your dedicated gateway are slow.", None),
                 (gw + timedelta(hours=1), "resolved", "Latency is back to normal.", None)]))

    window = (now + timedelta(days=3)).replace(hour=2, minute=0, second=0, microsecond=0)
    made.append(_incident(
        "Database upgrade", kind="maintenance", status="scheduled", impact="minor", started=window,
        scheduled_for=window, scheduled_until=window + timedelta(hours=2),
        name_translations={"zh_Hans": "数据库升级"},
        components=[(comps["Web app"], "under_maintenance"), (comps["API"], "under_maintenance")],
        updates=[(now - timedelta(days=1), "scheduled",
                  "We will upgrade the main database. The web app and API may be read-only for up to 2 hours.",
                  "我们将升级主数据库，期间网页端与 API 可能最长 2 小时只读。")]))
    return sum(1 for m in made if m is not None)


def _subscribers(northwind, globex, comps) -> int:
    wanted = []
    for n in range(8):
        wanted.append(("email", f"ops{n + 1}@example.com", None, "en"))
    for n in range(4):
        wanted.append(("email", f"trader{n + 1}@northwind.example", northwind, "en"))
    for n in range(3):
        wanted.append(("email", f"desk{n + 1}@globex.example", globex, "zh_Hans"))
    for n, number in enumerate(("+14155550101", "+14155550102", "+447700900123")):
        wanted.append(("sms", number, None, "en"))
    wanted.append(("sms", "+8613800138000", northwind, "zh_Hans"))
    wanted.append(("sms", "+8613900139000", globex, "zh_Hans"))
    wanted.append(("sms", "+6581234567", globex, "en"))
    for channel, address, tenant, locale in wanted:
        if find_subscriber(channel, address, tenant.id if tenant else None) is None:
            chosen = [comps["Withdrawals"], comps["CRM"]] if address.startswith("trader1") else []
            create_subscriber(channel, address, tenant=tenant, locale=locale, components=chosen, confirmed=True,
                              source="import")
    return len(wanted)
