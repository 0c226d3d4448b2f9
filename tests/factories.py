"""gen_* helpers that build domain objects for tests (CTFd style). Add yours here."""
from __future__ import annotations

import secrets

from statuspage.extensions import db
from statuspage.models import (Component, ComponentGroup, Incident, IncidentComponent, IncidentUpdate, Setting, Subscriber,
                               Tenant)

PASSWORD = "correct horse battery"  # every gen_admin's password unless a test picks another


def gen_tenant(name="Acme", slug=None, private=False, **kw) -> Tenant:
    tenant = Tenant(name=name, slug=slug or name.lower().replace(" ", "-"), private=private, **kw)
    db.session.add(tenant)
    db.session.flush()
    return tenant


def gen_setting(key="placeholders", value=None) -> Setting:
    setting = Setting(key=key, value={"hotline": "400-100"} if value is None else value)
    db.session.add(setting)
    db.session.flush()
    return setting


def gen_group(name="Core", position=0) -> ComponentGroup:
    group = ComponentGroup(name=name, position=position)
    db.session.add(group)
    db.session.flush()
    return group


def gen_component(name="API", status="operational", group=None, tenant=None, **kw) -> Component:
    comp = Component(name=name, status=status, group_id=group.id if group else None,
                     tenant_id=tenant.id if tenant else None, **kw)
    db.session.add(comp)
    db.session.flush()
    return comp


def gen_incident(name="Withdrawals failing", status="investigating", impact="major", body="We are investigating.",
                 components=(), tenants=(), visibility="public", draft=False, kind="incident", **kw) -> Incident:
    incident = Incident(name=name, status=status, impact=impact, visibility=visibility, draft=draft, kind=kind, **kw)
    for comp in components:
        incident.affected.append(IncidentComponent(component_id=comp.id, status="major_outage"))
    incident.tenants = list(tenants)
    db.session.add(incident)
    db.session.flush()
    gen_update(incident, status=status, body=body)
    return incident


def gen_update(incident, status="investigating", body="Update", **kw) -> IncidentUpdate:
    update = IncidentUpdate(incident_id=incident.id, status=status, body=body, **kw)
    db.session.add(update)
    db.session.flush()
    return update


def gen_subscriber(address="user@example.com", channel="email", tenant=None, confirmed=True, components=(),
                   locale="en", **kw) -> Subscriber:
    sub = Subscriber(channel=channel, address=address, tenant_id=tenant.id if tenant else None, confirmed=confirmed,
                     locale=locale, token=secrets.token_urlsafe(24), all_components=not components, **kw)
    sub.components = list(components)
    db.session.add(sub)
    db.session.flush()
    return sub


def gen_admin(email="admin@example.com", role="admin", password=PASSWORD, **kw):
    """An admin user (role viewer/responder/admin) with a known password."""
    from statuspage.models import AdminUser
    from statuspage.services.accounts import set_password

    user = AdminUser(email=email, name=email.split("@")[0], role=role, password_hash="!", **kw)
    set_password(user, password)
    db.session.add(user)
    db.session.flush()
    return user


def gen_api_token(user, role=None, name="test"):
    """(ApiToken, raw) for `user`; the raw value goes in `Authorization: Bearer`."""
    from statuspage.services.accounts import issue_api_token

    token, raw = issue_api_token(user, name=name, role=role)
    db.session.flush()
    return token, raw
