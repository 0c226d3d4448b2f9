"""Notices: an incident update as one subscriber reads it, before a channel shapes it.

`notice_for` gathers what every channel says (incident, update, locale, the
subscriber's links, the labels, the sender's name); each channel's renderer
(statuspage/channels/<kind>/render.py) turns that into its message. The
worker and the admin preview both come through here, so the preview is
exactly what subscribers get.

A tenant's subscriber reads the notice as that tenant's: its name as the
sender and in the footer, and a link to the incident on the tenant's page
(`/t/<slug>/incidents/<id>`); on a private tenant's page the link carries a
signed parameter scoped to that subscriber (services/tenants.py), so it
opens without the tenant's cookie.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, fields
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import force_locale
from markupsafe import Markup
from sqlalchemy import func, inspect, select

from .channels import CHANNELS
from .extensions import db
from .models import IncidentUpdate, Tenant
from .markdown import markdown_to_text, render_markdown
from .phones import phone_spans
from .tenant_links import subscriber_link_token
from .templating import IMPACT_LABELS, INCIDENT_STATUS_LABELS

# The token in a preview's links: there is no subscriber yet.
PREVIEW_TOKEN = "PREVIEW"

# Statuses after which the impact no longer describes what the reader faces.
_SETTLED_STATUSES = ("resolved", "postmortem", "completed")


@dataclass(frozen=True)
class Notice:
    """The channel-independent facts of one notice; the field names are the message templates' variables."""

    incident: object
    update: object
    locale: str
    # The sender's name: the subscriber's tenant, else the site (SITE_NAME).
    site_name: str
    incident_name: str
    status: str
    status_label: str
    impact_label: str
    # The impact no longer applies once the incident is resolved.
    show_impact: bool
    body_text: str
    body_html: str
    # The what-to-do line (a hotline, or the body's short first paragraph), and the rest of the body.
    action_text: str
    action_html: str
    # The what-to-do line names a hotline or a phone number (else it is the body's short first paragraph).
    action_is_hotline: bool
    detail_text: str
    detail_html: str
    incident_url: str
    token: str
    unsubscribe_url: str
    manage_url: str
    # Threading: the id of this notice and of the subscriber's first notice of the incident.
    message_id: str
    thread_id: str
    # The Subscriber it is for; None in a preview and in a rendering shared by every subscriber.
    subscriber: object = None

    def template_context(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _base_url() -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/")


def site_host() -> str:
    return urlsplit(_base_url()).hostname or "localhost"


def incident_url(incident, tenant=None, link_token: str | None = None) -> str:
    """The incident on the page its reader can open: the tenant's page for a tenant's subscriber."""
    if tenant is None:
        return f"{_base_url()}/incidents/{incident.id}"
    url = f"{_base_url()}/t/{tenant.slug}/incidents/{incident.id}"
    return f"{url}?s={link_token}" if tenant.private and link_token else url


def subscriber_links(token: str) -> dict:
    base = _base_url()
    return {"token": token, "unsubscribe_url": f"{base}/unsubscribe/{token}",
            "manage_url": f"{base}/subscriptions/manage/{token}"}


def thread_ids(incident, update, subscriber_ref: str) -> tuple[str, str]:
    """(this notice's Message-ID, the subscriber's first notice's), derived so that no lookup is needed.

    The first update's notice is the thread's root; every later one refers to it.
    """
    host = site_host()
    root = f"<incident-{incident.id}.sub-{subscriber_ref}@{host}>"
    first = _first_update_id(incident, update)
    if update.id is None or update.id == first:
        return root, root
    return f"<incident-{incident.id}.update-{update.id}.sub-{subscriber_ref}@{host}>", root


def _first_update_id(incident, update) -> int | None:
    # The worker hands over detached rows whose relationships are not loaded: ask the database then.
    if incident.id is None or "updates" not in inspect(incident).unloaded:
        return min((u.id for u in incident.updates if u.id is not None), default=update.id)
    return db.session.scalar(select(func.min(IncidentUpdate.id)).where(IncidentUpdate.incident_id == incident.id))


def tenant_of(subscriber):
    """The subscriber's tenant, also for a detached subscriber whose relationship was not loaded."""
    if subscriber is None or subscriber.tenant_id is None:
        return None
    if "tenant" not in inspect(subscriber).unloaded:
        return subscriber.tenant
    return db.session.get(Tenant, subscriber.tenant_id)


_ACTION_WORDS = re.compile(r"^\W*(hotline|call|phone|contact|please call|热线|电话|拨打|请拨打|联系)", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s*")
ACTION_MAX = 300
# A what-to-do line that names itself ("**What to do now:** call …", "现在怎么办：…") needs no label of ours.
_SELF_LABELLED = re.compile(r"^\W*(what to do|what you can do|meanwhile|现在怎么办|您可以|应对|怎么办)", re.IGNORECASE)


def _is_action(line: str) -> bool:
    return bool(_ACTION_WORDS.match(line)) or bool(phone_spans(line))


def split_action(body: str) -> tuple[str, str, bool]:
    """(what to do, the rest, whether it names a hotline) of a Markdown body.

    What to do: a line that starts with a hotline or names a phone number,
    else the first paragraph when it is short. A long line keeps only its
    sentences that name the hotline.
    """
    body = (body or "").strip()
    if not body:
        return "", "", False
    lines = body.splitlines()
    for i, line in enumerate(lines):
        if line.strip() and _is_action(line):
            if len(line) <= ACTION_MAX:
                return line.strip(), "\n".join(lines[:i] + lines[i + 1:]).strip(), True
            sentences = [s for s in _SENTENCE_END.split(line) if s]
            picked = [s for s in sentences if _is_action(s)]
            if picked and sum(len(s) for s in picked) <= ACTION_MAX:
                rest = [s for s in sentences if s not in picked]
                lines[i] = " ".join(rest)
                return " ".join(p.strip() for p in picked), "\n".join(lines).strip(), True
            break
    first, _, rest = body.partition("\n\n")
    if len(first) <= ACTION_MAX:
        return first.strip(), rest.strip(), False
    return "", body, False


def notice_for(incident, update, locale: str = "en", subscriber=None, token: str | None = None,
               tenant=None, subscriber_ref: str | None = None, link_token: str | None = None) -> Notice:
    """The notice of `update` in `locale`; call it inside force_locale(locale) (the labels are translated).

    `tenant` defaults to the subscriber's; `subscriber_ref` and `link_token`
    (the signed link parameter) to the subscriber's own.
    """
    body = update.localized_body(locale)
    if token is None:
        token = subscriber.token if subscriber is not None else PREVIEW_TOKEN
    if subscriber is not None:
        tenant = tenant or tenant_of(subscriber)
        subscriber_ref = subscriber_ref or str(subscriber.id)
        if link_token is None and tenant is not None and tenant.private:
            link_token = subscriber_link_token(tenant, subscriber)
    action, detail, hotline = split_action(body)
    message_id, thread_id = thread_ids(incident, update, subscriber_ref or "preview")
    status = update.status
    return Notice(
        incident=incident,
        update=update,
        locale=locale,
        site_name=tenant.name if tenant is not None else current_app.config.get("SITE_NAME", "Status"),
        incident_name=incident.localized_name(locale),
        status=status,
        status_label=str(INCIDENT_STATUS_LABELS.get(status, status)),
        impact_label=str(IMPACT_LABELS.get(incident.impact, incident.impact)),
        show_impact=incident.kind != "maintenance" and status not in _SETTLED_STATUSES,
        body_text=markdown_to_text(body),
        body_html=render_markdown(body),
        action_text=markdown_to_text(action),
        action_html=render_markdown(action) if action else Markup(""),
        # Labelled "What to do:" only when the line does not say so itself.
        action_is_hotline=hotline and not _SELF_LABELLED.match(action),
        detail_text=markdown_to_text(detail),
        detail_html=render_markdown(detail) if detail else Markup(""),
        incident_url=incident_url(incident, tenant, link_token),
        message_id=message_id,
        thread_id=thread_id,
        subscriber=subscriber,
        **subscriber_links(token),
    )


# A worker sends the same notice to thousands of subscribers: a channel whose
# message differs only by the subscriber's token, id and signed link (email)
# is rendered once per (incident and update as they are now, locale, tenant)
# and each subscriber's values put in. The stand-ins are plain alphanumerics,
# so escaping, URL quoting and header folding leave them intact.
_TOKEN_STAND_IN = "sptokenstandin7c1e"
_SUBSCRIBER_STAND_IN = "spsubscriberstandin3f9a"
_LINK_STAND_IN = "splinkstandin5d2b"
_shared_renderings: dict[tuple, dict] = {}


def render_notice(kind: str, incident, update, locale: str = "en", subscriber=None) -> dict:
    """The message channel `kind` sends for `update`, in `locale`, to `subscriber` (None: a preview)."""
    channel = CHANNELS[kind]
    if subscriber is None or not channel.renders_once_per_notice:
        with force_locale(locale):
            return channel.render(notice_for(incident, update, locale, subscriber))
    config = current_app.config
    tenant = tenant_of(subscriber)
    tenant_key = (tenant.id, tenant.name, tenant.slug, bool(tenant.private)) if tenant is not None else None
    key = (kind, incident.id, incident.updated_at, update.id, update.updated_at, locale, _base_url(),
           config.get("MAIL_DEFAULT_SENDER"), config.get("SITE_NAME"), tenant_key)
    shared = _shared_renderings.get(key)
    if shared is None:
        with force_locale(locale):
            shared = channel.render(notice_for(incident, update, locale, token=_TOKEN_STAND_IN, tenant=tenant,
                                               subscriber_ref=_SUBSCRIBER_STAND_IN, link_token=_LINK_STAND_IN))
        if len(_shared_renderings) >= 64:
            _shared_renderings.clear()
        _shared_renderings[key] = shared
    values = {_TOKEN_STAND_IN: subscriber.token, _SUBSCRIBER_STAND_IN: str(subscriber.id)}
    if tenant is not None and tenant.private:
        values[_LINK_STAND_IN] = subscriber_link_token(tenant, subscriber)
    return _personalised(shared, values)


def _personalised(value, values: dict):
    if isinstance(value, str):
        for stand_in, real in values.items():
            value = value.replace(stand_in, real)
        return value
    if isinstance(value, dict):
        return {name: _personalised(item, values) for name, item in value.items()}
    if isinstance(value, list):
        return [_personalised(item, values) for item in value]
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
