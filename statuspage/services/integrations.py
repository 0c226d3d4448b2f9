"""Registering and removing inbound-monitoring integrations (shared by the admin page and the API).

An integration is reached at `PUBLIC_BASE_URL/integrations/<secret>`. The
secret is shown once, when the integration is created; only its SHA-256 is
kept, so a copy of the database does not hand out URLs that open drafts.
"""
from __future__ import annotations

import hashlib
import re
import secrets

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import COMPONENT_STATUSES, INTEGRATION_KINDS, RESOLVE_MODES, Component, Integration
from . import audit
from .audit import Actor

# Prometheus label names: what Alertmanager and Grafana can group and match on.
LABEL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,99}$")
MAP_MAX = 500
SECRET_MAX = 100


class IntegrationInvalid(ValueError):
    """Bad input for an integration; `field` names what to fix, the message says how (localised)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def integration_url(secret: str) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/integrations/{secret}"


def find_by_secret(secret: str) -> Integration | None:
    """The live integration the secret URL names, or None (the caller answers 404 either way)."""
    if not secret or len(secret) > SECRET_MAX:
        return None
    return db.session.scalars(select(Integration).where(Integration.token_hash == token_hash(secret),
                                                        Integration.deleted_at.is_(None))).first()


def validate(data: dict) -> dict:
    """Clean fields from a form or a JSON body, or raise IntegrationInvalid."""
    kind = data.get("kind")
    if kind not in INTEGRATION_KINDS:
        raise IntegrationInvalid("kind", _("The kind must be one of: %(kinds)s.", kinds=", ".join(INTEGRATION_KINDS)))
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise IntegrationInvalid("name", _("Give the integration a name, e.g. \"Production Alertmanager\"."))
    if len(name.strip()) > 200:
        raise IntegrationInvalid("name", _("The name must be at most 200 characters."))
    fields = {"kind": kind, "name": name.strip(), "component_map": _component_map(data.get("component_map"))}
    for field, default in (("component_label", "component"), ("severity_label", "severity")):
        value = data.get(field)
        value = default if value in (None, "") else value
        if not isinstance(value, str) or not LABEL_NAME.match(value):
            raise IntegrationInvalid(field, _("A label name is letters, digits and underscores, e.g. %(example)s.",
                                              example=default))
        fields[field] = value
    resolve = data.get("resolve") or "restore"
    if resolve not in RESOLVE_MODES:
        raise IntegrationInvalid("resolve", _("resolve must be one of: %(modes)s.", modes=", ".join(RESOLVE_MODES)))
    fields["resolve_mode"] = resolve
    fields["severity_map"] = _severity_map(data.get("severity_map"))
    return fields


def _component_map(value) -> dict:
    if value in (None, "", {}):
        return {}
    if not isinstance(value, dict) or len(value) > MAP_MAX:
        raise IntegrationInvalid("component_map", _("component_map maps a label value to a component id."))
    cleaned = {}
    for key, cid in value.items():
        if not isinstance(key, str) or not key.strip() or len(key) > 200 or isinstance(cid, bool):
            raise IntegrationInvalid("component_map", _("component_map maps a label value to a component id."))
        try:
            cleaned[key.strip()] = int(cid)
        except (TypeError, ValueError):
            raise IntegrationInvalid("component_map", _("component_map maps a label value to a component id.")) from None
    ids = set(cleaned.values())
    found = set(db.session.scalars(select(Component.id).where(Component.id.in_(ids), Component.deleted_at.is_(None)))) \
        if ids and all(0 < i < 2**31 for i in ids) else set()
    missing = sorted(ids - found)
    if missing:
        raise IntegrationInvalid("component_map", _("No such component: %(ids)s.", ids=", ".join(map(str, missing))))
    return cleaned


def _severity_map(value) -> dict:
    if value in (None, "", {}):
        return {}
    if (not isinstance(value, dict) or len(value) > 50
            or any(not isinstance(k, str) or len(k) > 100 or v not in COMPONENT_STATUSES for k, v in value.items())):
        raise IntegrationInvalid("severity_map", _("severity_map maps a severity to a component status (%(statuses)s).",
                                                   statuses=", ".join(COMPONENT_STATUSES)))
    return {k.strip().lower(): v for k, v in value.items()}


def parse_component_map(text: str) -> dict:
    """The admin form's `label value = component id` lines as a dict (validated by `validate`)."""
    out: dict = {}
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        key, sep, cid = line.rpartition("=")
        if not sep or not key.strip():
            raise IntegrationInvalid("component_map", _("Write one mapping a line: label value = component id."))
        out[key.strip()] = cid.strip()
    return out


def create_integration(data: dict, *, actor: Actor) -> tuple[Integration, str]:
    """A new integration and its secret URL (the only time the URL exists in full); committed."""
    try:
        fields = validate(data)
    except IntegrationInvalid:
        db.session.rollback()
        raise
    secret = secrets.token_urlsafe(32)
    integration = Integration(**fields, token_hash=token_hash(secret), token_hint=secret[:6])
    db.session.add(integration)
    db.session.flush()
    audit.record("create", "integration", integration.id, actor=actor, after=snapshot(integration),
                 summary=f"Integration '{integration.name}' ({integration.kind}) created")
    db.session.commit()
    return integration, integration_url(secret)


def delete_integration(integration: Integration, *, actor: Actor) -> None:
    """Soft: its URL answers 404 from now on; committed."""
    if integration.deleted_at is not None:
        return
    before = snapshot(integration)
    integration.soft_delete()
    audit.record("delete", "integration", integration.id, actor=actor, before=before, after=snapshot(integration),
                 summary=f"Integration '{integration.name}' deleted")
    db.session.commit()


def list_integrations(include_deleted: bool = False) -> list[Integration]:
    query = select(Integration).order_by(Integration.name, Integration.id)
    if not include_deleted:
        query = query.where(Integration.deleted_at.is_(None))
    return list(db.session.scalars(query))


def _iso(value):
    return value.isoformat().replace("+00:00", "Z") if value else None


def snapshot(integration: Integration) -> dict:
    """The integration as the API shows it (never its secret)."""
    return {
        "id": integration.id, "kind": integration.kind, "name": integration.name,
        "component_map": dict(integration.component_map or {}), "component_label": integration.component_label,
        "severity_label": integration.severity_label, "severity_map": dict(integration.severity_map or {}),
        "resolve": integration.resolve_mode, "url_hint": f"/integrations/{integration.token_hint}…",
        "last_received_at": _iso(integration.last_received_at), "received_count": integration.received_count,
        "created_at": _iso(integration.created_at), "deleted_at": _iso(integration.deleted_at),
    }
