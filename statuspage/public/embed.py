"""For customers' own sites: a status badge (`/badge.svg`) and a small iframe widget (`/embed`).

Both answer for the main page or one tenant (`/t/<slug>/...`), with the same
access rule as the pages: a private tenant's badge or widget needs its access
link's `?access=` token (a cookie is not sent to a third-party frame or image),
and anything else gets the 404 an unknown slug gets. Both are cached per data
change and language, like the pages.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from flask import Blueprint, render_template
from flask_babel import gettext as _

from ..cache import cached_response
from ..models import utcnow
from ..services import status as site_status
from ..services import visibility as vis
from ..templating import INDICATOR_LABELS, locale_code
from .access import Scope, resolve_scope
from .rendering import cache_parts

bp = Blueprint("embed", __name__)

# White text on these keeps a contrast of at least 4.5:1 (WCAG AA).
BADGE_COLOURS = {"none": "#1a7f37", "minor": "#8a5a00", "major": "#b54708", "critical": "#b42318",
                 "maintenance": "#1d4ed8"}
LABEL_COLOUR = "#474f57"
MAX_INCIDENTS_IN_WIDGET = 3


@dataclass(frozen=True)
class PageStatus:
    """What the badge and widget say: the page's overall state and its open incidents."""

    indicator: str          # none, minor, major, critical, or maintenance (all fine, work under way)
    incidents: list

    @property
    def label(self) -> str:
        return str(INDICATOR_LABELS[self.indicator])


def page_status(scope: Scope) -> PageStatus:
    """The overall state the page itself shows, from the viewer's visible components and incidents."""
    viewer = scope.viewer
    active = vis.active_incidents(viewer)
    indicator = site_status.overall_indicator(vis.visible_components(viewer, for_display=False), active)
    if indicator == "none" and vis.active_maintenances(viewer, utcnow()):
        indicator = "maintenance"
    return PageStatus(indicator, active)


@bp.get("/badge.svg", defaults={"slug": None})
@bp.get("/t/<slug>/badge.svg")
def badge(slug: str | None):
    # A valid ?access= token is used as it is, with no redirect-and-cookie as the
    # pages do: an image or a third-party frame cannot keep the cookie anyway.
    scope = resolve_scope(slug)

    def render() -> str:
        state = page_status(scope)
        return render_badge(_("status"), state.label, BADGE_COLOURS[state.indicator])

    return cached_response(("badge", *cache_parts(scope)), render, mimetype="image/svg+xml; charset=utf-8",
                           private=scope.private, tenant_id=scope.viewer.tenant_id)


@bp.get("/embed", defaults={"slug": None})
@bp.get("/t/<slug>/embed")
def widget(slug: str | None):
    scope = resolve_scope(slug)

    def render() -> str:
        state = page_status(scope)
        return render_template("embed.html", state=state, scope=scope, locale=locale_code(),
                               incidents=state.incidents[:MAX_INCIDENTS_IN_WIDGET],
                               more=max(0, len(state.incidents) - MAX_INCIDENTS_IN_WIDGET),
                               page_url=scope.absolute("/") + scope.feed_query)

    return cached_response(("embed", *cache_parts(scope)), render, private=scope.private,
                           tenant_id=scope.viewer.tenant_id)


def text_width(text: str, size: float = 11.0) -> float:
    """Roughly how wide `text` renders in Verdana/sans at `size` px (wide CJK glyphs count double)."""
    width = 0.0
    for ch in text:
        if unicodedata.east_asian_width(ch) in ("W", "F"):
            width += 1.0
        elif ch in "iljtf.,:;'|!I ":
            width += 0.33
        elif ch.isupper() or ch in "mwMW":
            width += 0.72
        else:
            width += 0.58
    return width * size


def render_badge(label: str, message: str, colour: str) -> str:
    return render_template("badge.svg", label=label, message=message, colour=colour,
                           label_colour=LABEL_COLOUR, **badge_geometry(label, message))


def badge_geometry(label: str, message: str, padding: int = 6) -> dict:
    """Box sizes from the estimated text widths; the SVG squeezes the text to
    exactly that length (textLength), so a wider fallback font never spills out."""
    label_len = round(text_width(label))
    message_len = round(text_width(message))
    left, right = label_len + 2 * padding, message_len + 2 * padding
    return {"left": left, "right": right, "width": left + right, "label_len": label_len,
            "message_len": message_len, "label_x": left / 2, "message_x": left + right / 2}
