"""Notices: an incident update as one subscriber reads it, before a channel shapes it.

`notice_for` gathers what every channel says (incident, update, locale, the
subscriber's links, the labels, the site name); each channel's renderer
(statuspage/channels/<kind>/render.py) turns that into its message. The
worker and the admin preview both come through here, so the preview is
exactly what subscribers get.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, fields

from flask import current_app
from flask_babel import force_locale

from .channels import CHANNELS
from .markdown import markdown_to_text, render_markdown
from .templating import IMPACT_LABELS, INCIDENT_STATUS_LABELS

# The token in a preview's links: there is no subscriber yet.
PREVIEW_TOKEN = "PREVIEW"


@dataclass(frozen=True)
class Notice:
    """The channel-independent facts of one notice; the field names are the message templates' variables."""

    incident: object
    update: object
    locale: str
    site_name: str
    incident_name: str
    status_label: str
    impact_label: str
    body_text: str
    body_html: str
    incident_url: str
    token: str
    unsubscribe_url: str
    manage_url: str
    # The Subscriber it is for; None in a preview and in a rendering shared by every subscriber.
    subscriber: object = None

    def template_context(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _base_url() -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/")


def incident_url(incident) -> str:
    return f"{_base_url()}/incidents/{incident.id}"


def subscriber_links(token: str) -> dict:
    base = _base_url()
    return {"token": token, "unsubscribe_url": f"{base}/unsubscribe/{token}",
            "manage_url": f"{base}/subscriptions/manage/{token}"}


def notice_for(incident, update, locale: str = "en", subscriber=None, token: str | None = None) -> Notice:
    """The notice of `update` in `locale`; call it inside force_locale(locale) (the labels are translated)."""
    body = update.localized_body(locale)
    if token is None:
        token = subscriber.token if subscriber is not None else PREVIEW_TOKEN
    return Notice(
        incident=incident,
        update=update,
        locale=locale,
        site_name=current_app.config.get("SITE_NAME", "Status"),
        incident_name=incident.localized_name(locale),
        status_label=str(INCIDENT_STATUS_LABELS.get(update.status, update.status)),
        impact_label=str(IMPACT_LABELS.get(incident.impact, incident.impact)),
        body_text=markdown_to_text(body),
        body_html=render_markdown(body),
        incident_url=incident_url(incident),
        subscriber=subscriber,
        **subscriber_links(token),
    )


# A worker sends the same notice to thousands of subscribers: a channel whose
# message differs only by the subscriber's token (email) is rendered once per
# (incident and update as they are now, locale) and each token put in. The
# stand-in is plain alphanumerics, so escaping and URL quoting leave it intact.
_TOKEN_STAND_IN = "sptokenstandin7c1e"
_shared_renderings: dict[tuple, dict] = {}


def render_notice(kind: str, incident, update, locale: str = "en", subscriber=None) -> dict:
    """The message channel `kind` sends for `update`, in `locale`, to `subscriber` (None: a preview)."""
    channel = CHANNELS[kind]
    if subscriber is None or not channel.renders_once_per_notice:
        with force_locale(locale):
            return channel.render(notice_for(incident, update, locale, subscriber))
    config = current_app.config
    key = (kind, incident.id, incident.updated_at, update.id, update.updated_at, locale, _base_url(),
           config.get("MAIL_DEFAULT_SENDER"), config.get("SITE_NAME"))
    shared = _shared_renderings.get(key)
    if shared is None:
        with force_locale(locale):
            shared = channel.render(notice_for(incident, update, locale, token=_TOKEN_STAND_IN))
        if len(_shared_renderings) >= 64:
            _shared_renderings.clear()
        _shared_renderings[key] = shared
    return _with_token(shared, subscriber.token)


def _with_token(value, token: str):
    if isinstance(value, str):
        return value.replace(_TOKEN_STAND_IN, token)
    if isinstance(value, dict):
        return {name: _with_token(item, token) for name, item in value.items()}
    return value


def render_template_message(name: str, locale: str = "en", **ctx) -> dict:
    """A one-off message: `name` is "<kind>/<template>" ("sms/confirm"), or an email template's name ("confirm")."""
    kind, _, template = name.rpartition("/")
    ctx.setdefault("site_name", current_app.config.get("SITE_NAME", "Status"))
    ctx.setdefault("locale", locale)
    with force_locale(locale):
        return CHANNELS[kind or "email"].render_message(template, ctx)


def delivery_message(delivery) -> dict:
    """What a worker sends for one outbox row: a notice is rendered at send time, in the subscriber's locale."""
    if delivery.kind != "update" or delivery.update is None or delivery.subscriber is None:
        return json.loads(delivery.payload or "{}")
    update = delivery.update
    subscriber = delivery.subscriber
    return render_notice(subscriber.channel, update.incident, update, subscriber.locale, subscriber)
