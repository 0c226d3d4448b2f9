"""The site as one Statuspage "page": a stable page id and the profile the manage API v1 answers with.

The id is drawn once, on first use, and kept as a Setting, so scripts written
for api.statuspage.io keep one page id for the life of the site.
"""
from __future__ import annotations

import secrets
import string
from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Setting, utcnow
from . import audit
from .audit import Actor
from .validation import ValidationError

PAGE_KEY = "statuspage_page"
ID_ALPHABET = string.ascii_lowercase + string.digits
ID_LENGTH = 12
# Answered as they are; a PATCH may repeat them but not change them (they come from the configuration).
CONFIGURED = {"name": "SITE_NAME", "time_zone": "SITE_TIME_ZONE", "url": "PUBLIC_BASE_URL"}


def _stored() -> dict | None:
    row = db.session.get(Setting, PAGE_KEY)
    if row is not None and isinstance(row.value, dict) and isinstance(row.value.get("id"), str):
        return row.value
    return None


def page_record() -> dict:
    """{"id", "created_at"} of the page, drawn and committed the first time anyone asks."""
    stored = _stored()
    if stored is not None:
        return stored
    value = {"id": "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_LENGTH)),
             "created_at": utcnow().isoformat()}
    db.session.add(Setting(key=PAGE_KEY, value=value))
    audit.record("create", "setting", PAGE_KEY, actor=Actor.system(), after=value, summary="Statuspage page id")
    try:
        db.session.commit()
    except IntegrityError:  # another request drew it first: theirs stands
        db.session.rollback()
        return _stored() or value
    return value


def page_id() -> str:
    return page_record()["id"]


def page_profile() -> dict:
    """What the site is, in the words of a Statuspage page profile (values from the configuration)."""
    config = current_app.config
    base = (config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    record = page_record()
    return {"id": record["id"], "created_at": datetime.fromisoformat(record["created_at"]),
            "name": config.get("SITE_NAME") or "Status", "url": base, "domain": urlsplit(base).hostname,
            "time_zone": config.get("SITE_TIME_ZONE") or "UTC",
            "notifications_from_email": config.get("MAIL_DEFAULT_SENDER")}


def check_page_changes(fields: dict) -> None:
    """A PATCH may restate the configured values; changing them is refused with the setting to change instead."""
    profile = page_profile()
    errors = {}
    for key, setting in CONFIGURED.items():
        given = fields.get(key)
        if given is not None and str(given).rstrip("/") != str(profile[key]).rstrip("/"):
            errors[key] = f"set by the server's {setting} setting; change it there"
    if errors:
        raise ValidationError(errors)
