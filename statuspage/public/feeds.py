"""RSS and Atom feeds of incidents and maintenance: one entry per update, newest first."""
from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import urlsplit

from feedgen.feed import FeedGenerator
from flask import Blueprint, abort, current_app, request
from flask_babel import gettext as _

from ..cache import cached_response
from ..markdown import render_markdown
from ..models import Component, Incident, IncidentUpdate
from ..services import visibility as vis
from ..templating import INCIDENT_STATUS_LABELS, locale_code
from .access import Scope, resolve_scope
from .rendering import cache_parts

bp = Blueprint("feeds", __name__)

INCIDENT_LIMIT = 25
MIMETYPES = {"rss": "application/rss+xml; charset=utf-8", "atom": "application/atom+xml; charset=utf-8"}


@bp.get("/feed.<any(rss, atom):fmt>", defaults={"slug": None})
@bp.get("/t/<slug>/feed.<any(rss, atom):fmt>")
def page_feed(slug: str | None, fmt: str):
    scope = resolve_scope(slug)
    return _serve(scope, fmt, (), lambda: vis.recent_incidents(scope.viewer, INCIDENT_LIMIT, kind=None), None)


@bp.get("/components/<int:component_id>/feed.<any(rss, atom):fmt>")
def component_feed(component_id: int, fmt: str):
    scope = resolve_scope(None)
    comp = vis.get_component(scope.viewer, component_id) if component_id < 2**31 else None
    if comp is None:
        abort(404)
    return _serve(scope, fmt, (component_id,),
                  lambda: vis.incidents_for_component(scope.viewer, component_id, INCIDENT_LIMIT), comp)


def _serve(scope: Scope, fmt: str, extra: tuple, load, component: Component | None):
    def render() -> bytes:
        feed = build_feed(scope, load(), fmt, component)
        return feed.atom_str(pretty=True) if fmt == "atom" else feed.rss_str(pretty=True)

    return cached_response(("feed", fmt, *cache_parts(scope, *extra)), render, mimetype=MIMETYPES[fmt],
                           private=scope.private, tenant_id=scope.viewer.tenant_id)


def entry_guid(update: IncidentUpdate) -> str:
    """A tag: URI (RFC 4151) that never changes, whichever page or format shows the entry."""
    host = urlsplit(current_app.config["PUBLIC_BASE_URL"]).hostname or "localhost"
    return f"tag:{host},2024:incident/{update.incident_id}/update/{update.id}"


def build_feed(scope: Scope, incidents: list[Incident], fmt: str, component: Component | None) -> FeedGenerator:
    locale = locale_code()
    page_name = scope.tenant.name if scope.tenant else current_app.config.get("SITE_NAME", "Status")
    title = _("%(page)s status", page=page_name)
    if component is not None:
        title = _("%(page)s status: %(component)s", page=page_name, component=component.name)
    suffix = scope.feed_query
    fg = FeedGenerator()
    fg.id(scope.absolute(f"/components/{component.id}/" if component is not None else "/"))
    fg.title(title)
    # Feed validators expect the feed to name its own address. The page comes last: for RSS
    # feedgen makes the last link given the channel's <link>, which readers show as the website.
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    fg.link(href=base + request.path + suffix, rel="self")
    fg.link(href=scope.absolute("/") + suffix, rel="alternate")
    fg.description(_("Incidents and maintenance for %(page)s", page=page_name))
    fg.language("zh-Hans" if locale == "zh_Hans" else "en")

    updates = sorted(((u, i) for i in incidents for u in i.updates),
                     key=lambda pair: (pair[0].display_at, pair[0].id), reverse=True)
    if updates:
        fg.updated(updates[0][0].display_at)
    else:
        fg.updated(incidents[0].updated_at if incidents else _epoch())
    for update, item in updates:
        entry = fg.add_entry(order="append")
        guid = entry_guid(update)
        entry.id(guid)
        entry.guid(guid, permalink=False)
        label = INCIDENT_STATUS_LABELS.get(update.status, update.status)
        entry.title(f"{item.localized_name(locale)} — {label}")
        entry.link(href=scope.absolute(f"/incidents/{item.id}") + suffix + f"#update-{update.id}", rel="alternate")
        entry.published(update.display_at)
        entry.updated(update.updated_at if update.updated_at > update.display_at else update.display_at)
        body = str(render_markdown(update.localized_body(locale)))
        if fmt == "atom":
            entry.content(body, type="html")
        else:
            entry.description(body)
    return fg


def _epoch():
    return datetime(2020, 1, 1, tzinfo=timezone.utc)
