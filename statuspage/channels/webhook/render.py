"""The JSON a webhook subscriber receives for a notice, and the secret it is signed with."""
from __future__ import annotations


def render_notice(notice) -> dict:
    """{"json": the body, "secret": the subscriber's signing secret (None in a preview)}."""
    incident, update, locale = notice.incident, notice.update, notice.locale
    body = {
        "type": "incident.update",
        "incident": {
            "id": incident.id, "name": notice.incident_name, "status": incident.status,
            "impact": incident.impact, "kind": incident.kind, "url": notice.incident_url,
            "components": [{"id": a.component_id, "status": a.status} for a in incident.affected],
        },
        "update": {
            "id": update.id, "status": update.status, "body": update.localized_body(locale),
            "created_at": update.created_at.isoformat() if update.created_at else None,
        },
        "locale": locale,
    }
    subscriber = notice.subscriber
    return {"json": body, "secret": subscriber.webhook_secret if subscriber is not None else None}
