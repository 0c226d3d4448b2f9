"""Metadata a caller attaches to an incident (Statuspage's `metadata`): a JSON object of objects.

Kept beside the incident as a Setting (`incident_metadata:<id>`), so it travels
with the configuration export and needs no column of its own.
"""
from __future__ import annotations

import json

from ..extensions import db
from ..models import Incident, Setting
from . import audit
from .audit import Actor
from .validation import ValidationError

MAX_BYTES = 16 * 1024


def _key(incident_id: int) -> str:
    return f"incident_metadata:{incident_id}"


def clean_metadata(value) -> dict:
    """Statuspage's rule: an object whose top-level values are objects; ours: at most 16 KB of JSON."""
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, dict) for k, v in value.items()):
        raise ValidationError({"metadata": "must be an object whose top-level values are objects"})
    if len(json.dumps(value, ensure_ascii=False).encode("utf-8")) > MAX_BYTES:
        raise ValidationError({"metadata": f"must be at most {MAX_BYTES} bytes of JSON"})
    return value


def incident_metadata(incident_id: int) -> dict:
    row = db.session.get(Setting, _key(incident_id))
    return dict(row.value) if row is not None and isinstance(row.value, dict) else {}


def save_incident_metadata(incident: Incident, metadata: dict, *, actor: Actor) -> dict:
    """Replace the incident's metadata (already cleaned) with an audit entry; committed."""
    before = incident_metadata(incident.id)
    if before == metadata:
        return before
    row = db.session.get(Setting, _key(incident.id))
    if row is None:
        db.session.add(Setting(key=_key(incident.id), value=metadata))
    else:
        row.value = metadata
    audit.record("metadata", incident.kind, incident.id, actor=actor, before={"metadata": before},
                 after={"metadata": metadata}, summary=incident.name)
    db.session.commit()
    return metadata
