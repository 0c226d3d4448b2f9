"""Admin page: inbound monitoring integrations (Alertmanager, Grafana, generic JSON): list, add, delete.

The secret URL is shown once, on the page that answers the form; the
database keeps only its hash.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..models import INTEGRATION_KINDS, RESOLVE_MODES, Integration
from ..services import integrations
from ..services.alerts import recent_alerts
from ..services.catalog import live_components
from . import bp
from .access import acting, get_or_404, role_required


@bp.get("/integrations")
@role_required("admin")
def integrations_page():
    return _render()


def _render(form=None, errors: dict | None = None, new_url: str | None = None, status: int = 200):
    items = integrations.list_integrations()
    return render_template("admin/integrations.html", integrations=items,
                           alerts={i.id: recent_alerts(i.id, limit=5) for i in items},
                           components=sorted(live_components(), key=lambda c: c.name), kinds=INTEGRATION_KINDS,
                           modes=RESOLVE_MODES, form=form or {}, errors=errors or {}, new_url=new_url), status


@bp.post("/integrations")
@role_required("admin")
def add_integration():
    form = request.form
    try:
        data = {"kind": form.get("kind"), "name": form.get("name", ""),
                "component_map": integrations.parse_component_map(form.get("component_map", "")),
                "component_label": form.get("component_label", "").strip(),
                "severity_label": form.get("severity_label", "").strip(), "resolve": form.get("resolve")}
        integration, url = integrations.create_integration(data, actor=acting())
    except integrations.IntegrationInvalid as exc:
        return _render(form=form, errors={exc.field: exc.message}, status=400)
    flash(_("Integration “%(name)s” added. Copy its URL now: it is shown only once.", name=integration.name),
          "success")
    return _render(new_url=url)


@bp.post("/integrations/<int:integration_id>/delete")
@role_required("admin")
def delete_integration(integration_id: int):
    integration = get_or_404(Integration, integration_id)
    integrations.delete_integration(integration, actor=acting())
    flash(_("Integration “%(name)s” deleted; its URL no longer answers.", name=integration.name), "success")
    return redirect(url_for("admin.integrations_page"))
