"""Admin page: the upstream feeds we watch, how their last fetch went, add and delete."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..models import UPSTREAM_KINDS, UpstreamFeed
from ..services.catalog import live_components
from ..upstream import registry
from ..upstream.drafts import resolution_suggestions
from . import bp
from .access import acting, get_or_404, role_required


@bp.get("/upstreams")
@role_required("admin")
def upstreams():
    return _render()


def _render(form: dict | None = None, errors: dict | None = None, status: int = 200):
    feeds = registry.list_feeds(include_deleted=True)
    components = sorted(live_components(first_party_only=True), key=lambda c: c.name)
    return render_template("admin/upstreams.html", feeds=[f for f in feeds if f.deleted_at is None],
                           trash=[f for f in feeds if f.deleted_at is not None], components=components,
                           kinds=UPSTREAM_KINDS, suggestions=resolution_suggestions(), form=form or {},
                           checked_ids=set(form.getlist("component_ids")) if form else set(),
                           errors=errors or {}), status


@bp.post("/upstreams")
@role_required("admin")
def add_upstream():
    data = {"name": request.form.get("name", ""), "url": request.form.get("url", ""),
            "kind": request.form.get("kind") or None, "interval_seconds": request.form.get("interval_seconds"),
            "component_ids": request.form.getlist("component_ids")}
    try:
        feed = registry.register_feed(data, actor=acting())
    except registry.FeedInvalid as exc:
        return _render(form=request.form, errors={exc.field: exc.message}, status=exc.status)
    flash(_("Feed “%(name)s” added; it will be fetched within a minute.", name=feed.name), "success")
    return redirect(url_for("admin.upstreams"))


@bp.post("/upstreams/<int:feed_id>/delete")
@role_required("admin")
def delete_upstream(feed_id: int):
    feed = get_or_404(UpstreamFeed, feed_id, live=False)
    if feed.deleted_at is None:
        registry.delete_feed(feed, actor=acting())
        flash(_("Feed “%(name)s” moved to the trash. You can restore it below.", name=feed.name), "success")
    return redirect(url_for("admin.upstreams"))


@bp.post("/upstreams/<int:feed_id>/restore")
@role_required("admin")
def restore_upstream(feed_id: int):
    feed = get_or_404(UpstreamFeed, feed_id, live=False)
    if feed.deleted_at is not None:
        registry.restore_feed(feed, actor=acting())
        flash(_("Feed “%(name)s” restored.", name=feed.name), "success")
    return redirect(url_for("admin.upstreams"))
