"""Build a notice without saving it and render it exactly as each channel will; send a test to the acting admin."""
from __future__ import annotations

from flask import current_app

from ..channels import CHAT_CHANNELS
from ..channels.sms.render import sms_segments
from ..delivery.outbox import enqueue_message
from ..extensions import db
from ..models import Component, Incident, IncidentComponent, IncidentUpdate, utcnow
from ..notices import render_notice
from . import audit, lookup
from .audit import Actor
from .fanout import count_recipients
from .incidents import statuses_for

PREVIEW_LOCALES = ("en", "zh_Hans")
# The test email goes out in the site's first language: admins have no language of their own.
TEST_LOCALE = "en"


def transient_incident(fields: dict, kind: str = "incident") -> Incident:
    """An unsaved incident with the form's values; never added to the session."""
    incident = Incident(kind=kind, name=fields.get("name") or "", name_translations=fields.get("name_translations") or {},
                        status=fields.get("status") or statuses_for(kind)[0], impact=fields.get("impact") or "none",
                        visibility=fields.get("visibility") or "public", draft=bool(fields.get("draft")),
                        started_at=utcnow(), postmortem_body="")
    incident.tenants = list(fields.get("tenants") or [])
    wanted = fields.get("components") or {}
    components = {c.id: c for c in lookup.find_many(Component, wanted, live=False)}
    incident.affected = [IncidentComponent(component_id=cid, component=components[cid], status=st or "degraded_performance")
                         for cid, st in wanted.items() if cid in components]
    return incident


def transient_update(incident: Incident, fields: dict) -> IncidentUpdate:
    now = utcnow()
    update = IncidentUpdate(incident_id=incident.id, status=fields.get("status") or incident.status,
                            body=fields.get("body") or "", body_translations=fields.get("body_translations") or {},
                            deliver_notifications=bool(fields.get("deliver_notifications")), created_at=now,
                            display_at=now, updated_at=now, affected_components=[
                                {"code": a.component_id, "name": a.component.name if a.component else "",
                                 "old_status": a.component.status if a.component else "", "new_status": a.status}
                                for a in incident.affected], fanout_state="none", fanout_count=0)
    return update


def render_preview(incident: Incident, update: IncidentUpdate) -> dict:
    """Page entry, email and SMS per locale, and how many subscribers per channel it would reach."""
    out = {"incident": incident, "update": update, "locales": {}, "unavailable": None, "recipients": None}
    try:
        for locale in PREVIEW_LOCALES:
            email = render_notice("email", incident, update, locale)
            sms = render_notice("sms", incident, update, locale)
            out["locales"][locale] = {"email": email, "sms": sms["text"], "segments": sms_segments(sms["text"]),
                                      "sms_cut": sms.get("cut") or [],
                                      # What each team chat's robot is sent, exactly.
                                      "chat": {kind: render_notice(kind, incident, update, locale)["json"]
                                               for kind in CHAT_CHANNELS}}
    except NotImplementedError:
        out["unavailable"] = "render"
        out["locales"] = {}
    except Exception:  # a broken renderer must not take the form down with it
        current_app.logger.exception("notice preview failed")
        out["unavailable"] = "error"
        out["locales"] = {}
    try:
        out["recipients"] = count_recipients(incident)
    except NotImplementedError:
        out["recipients"] = None
    except Exception:
        current_app.logger.exception("recipient count failed")
        out["recipients"] = None
    return out


def build_preview(fields: dict, incident: Incident | None = None, kind: str = "incident",
                  update: IncidentUpdate | None = None) -> dict:
    """Render a notice that is not posted yet.

    A new incident is flushed inside the request's transaction so the
    recipient count sees its tenants and components exactly, then everything
    is rolled back: nothing of a preview is ever stored.
    """
    if incident is None:
        incident = transient_incident(fields, kind)
        db.session.add(incident)
        db.session.flush()
    update = update if update is not None else transient_update(incident, fields)
    try:
        return render_preview(incident, update)
    finally:
        db.session.rollback()


def send_test(preview: dict, incident_id: int | None, *, actor: Actor) -> bool:
    """Queue the previewed email to the acting admin only; False when rendering is not available."""
    rendered = preview["locales"].get(TEST_LOCALE)
    if not rendered:
        return False
    email = rendered["email"]
    enqueue_message(kind="test", channel="email", recipient=actor.name,
                    subject="[TEST] " + email.get("subject", ""), text=email.get("text", ""), html=email.get("html"))
    audit.record("send_test", "incident", incident_id, actor=actor, summary=actor.name)
    db.session.commit()
    return True
