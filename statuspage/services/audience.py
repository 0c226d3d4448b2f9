"""Who a notice reaches and who sees it where, in one line, before the operator posts it."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app

from ..extensions import db
from .fanout import count_recipients
from .previews import transient_incident


@dataclass
class AudienceSummary:
    """recipients: {channel: n} (None when counting failed); pages: where the incident shows."""

    recipients: dict | None
    pages: str                      # "everyone", "tenants", "drill" or "draft"
    tenants: list = field(default_factory=list)  # the named tenants, for "tenants" and notices to named tenants
    notify: bool = True


def audience_summary(fields: dict) -> AudienceSummary:
    """From the cleaned form fields, as `clean_incident` returns them; nothing is stored.

    The incident is flushed inside the request's transaction so the count is the
    fan-out's own query, then rolled back.
    """
    incident = transient_incident(fields)
    tenants = list(incident.tenants)
    if incident.draft:
        pages = "draft"
    elif incident.visibility in ("drill", "tenants"):
        pages = incident.visibility
    else:
        pages = "everyone"
    recipients = None
    try:
        db.session.add(incident)
        db.session.flush()
        recipients = count_recipients(incident)
    except Exception:  # a summary that cannot be counted must not take the form down with it
        current_app.logger.exception("audience summary failed")
    finally:
        db.session.rollback()
    return AudienceSummary(recipients=recipients, pages=pages, tenants=tenants,
                           notify=bool(fields.get("deliver_notifications")) and not incident.draft)
