"""The public status pages: `/`, `/incidents/<id>`, `/history`, and the same under `/t/<slug>/`."""
from __future__ import annotations

import math

from flask import abort, request
from flask_babel import gettext as _

from ..cache import current_version
from ..cache import data_changed_at as changed_at  # this module's data_changed_at adds the fallback
from ..models import utcnow
from ..services import status as site_status
from ..services import visibility as vis
from ..templating import COMPONENT_STATUS_LABELS, locale_code
from . import bp
from .access import remember_access, resolve_scope
from .rendering import register_helpers, render_page

HISTORY_PER_PAGE = 20
MAX_PAGE = 100_000


@bp.record_once
def _setup(state) -> None:
    register_helpers(state.app)


@bp.get("/", defaults={"slug": None})
@bp.get("/t/<slug>/")
def index(slug: str | None):
    scope = resolve_scope(slug)
    if scope.granted_token:
        return remember_access(scope)

    def build() -> dict:
        now = utcnow()
        viewer = scope.viewer
        components = vis.visible_components(viewer)
        active = vis.active_incidents(viewer)
        return {
            "updated_at": data_changed_at(viewer.tenant_id),
            "indicator": site_status.overall_indicator(components, active),
            "groups": [(g, comps, site_status.group_status(comps)) for g, comps in vis.grouped(components)],
            "uptime": {cid: (up.percent, day_labels(up)) for cid, up in
                       site_status.uptime_bars(viewer, [c for c in components if c.show_uptime], now).items()},
            "active_incidents": active,
            "active_maintenances": vis.active_maintenances(viewer, now),
            "upcoming_maintenances": vis.upcoming_maintenances(viewer, now),
            "subscribable": vis.visible_components(viewer, for_display=False),
            "locale": locale_code(),
        }

    # Open incidents keep eating into today's uptime: re-render at least hourly.
    return render_page(scope, "public/index.html", build, utcnow().strftime("%H"))


@bp.get("/incidents/<int:incident_id>", defaults={"slug": None})
@bp.get("/t/<slug>/incidents/<int:incident_id>")
def incident(slug: str | None, incident_id: int):
    scope = resolve_scope(slug)
    if scope.granted_token:
        return remember_access(scope)
    if incident_id > 2**31:
        abort(404)
    # Database down: skip the check; only a copy rendered earlier for this very viewer can be served (stale-if-error).
    if current_version() is not None and not vis.incident_visible(scope.viewer, incident_id):
        abort(404)

    def build() -> dict:
        item = vis.get_incident(scope.viewer, incident_id)
        return {
            "incident": item,
            "affected": vis.affected_components(scope.viewer, item),
            "tenants": vis.visible_tenants(scope.viewer, item),
            "locale": locale_code(),
        }

    return render_page(scope, "public/incident.html", build)


@bp.get("/history", defaults={"slug": None})
@bp.get("/t/<slug>/history")
def history(slug: str | None):
    scope = resolve_scope(slug)
    if scope.granted_token:
        return remember_access(scope)
    page = parse_page(request.args.get("page"))
    total, pages = 0, 1
    if current_version() is not None:  # database down: the last good copy answers (stale-if-error)
        total = vis.history_count(scope.viewer)
        pages = max(1, math.ceil(total / HISTORY_PER_PAGE))
        if page > pages:
            abort(404)

    def build() -> dict:
        items = vis.history_page(scope.viewer, page, HISTORY_PER_PAGE)
        return {"incidents": items, "page": page, "pages": pages, "total": total, "locale": locale_code()}

    return render_page(scope, "public/history.html", build, page)


def day_labels(uptime: site_status.Uptime) -> list[tuple[str, str]]:
    """(status, "2026-11-20: Major outage, uptime 75.00%") per day, for the bars and screen readers."""
    no_data, quiet = _("no data"), _("no incidents")
    rows = []
    for day in uptime.days:
        if day.status == "no_data":
            text = no_data
        elif day.status == "operational" and not day.incident_ids:
            text = quiet
        else:
            text = _("%(status)s, uptime %(pct)s%%", status=COMPONENT_STATUS_LABELS.get(day.status, day.status),
                     pct=f"{day.uptime:.2f}")
        rows.append((day.status, f"{day.day.isoformat()}: {text}"))
    return rows


def parse_page(raw: str | None) -> int:
    """A 1-based page number; anything else is a 400."""
    if raw is None or raw == "":
        return 1
    if not raw.isdigit() or len(raw) > 6:
        abort(400)
    page = int(raw)
    if page < 1 or page > MAX_PAGE:
        abort(400)
    return page



def data_changed_at(tenant_id: int | None = None):
    return changed_at(tenant_id) or utcnow()
