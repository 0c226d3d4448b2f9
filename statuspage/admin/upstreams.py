"""Admin page: the upstream feeds we watch, how their last fetch went, add and delete."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from jinja2 import TemplateNotFound

from ..extensions import db
from ..models import UPSTREAM_KINDS, Component, UpstreamFeed
from ..upstream import registry
from ..upstream.drafts import resolution_suggestions
from . import bp


def _require_admin() -> None:
    if not current_user.has_role("admin"):
        abort(403)


@bp.get("/upstreams")
@login_required
def upstreams():
    _require_admin()
    return _render()


def _render(form: dict | None = None, error: str | None = None, status: int = 200):
    feeds = registry.list_feeds(include_deleted=True)
    components = db.session.scalars(db.select(Component).where(Component.deleted_at.is_(None),
                                                               Component.third_party.is_(False))
                                    .order_by(Component.name)).all()
    return render_template("admin/upstreams.html", layout=_layout(), feeds=[f for f in feeds if f.deleted_at is None],
                           trash=[f for f in feeds if f.deleted_at is not None], components=components,
                           kinds=UPSTREAM_KINDS, suggestions=resolution_suggestions(), form=form or {},
                           error=error), status


def _layout() -> str:
    try:
        current_app.jinja_env.get_template("admin/base.html")
    except TemplateNotFound:
        return "base.html"
    return "admin/base.html"


@bp.post("/upstreams")
@login_required
def add_upstream():
    _require_admin()
    data = {"name": request.form.get("name", ""), "url": request.form.get("url", ""),
            "kind": request.form.get("kind") or None, "interval_seconds": request.form.get("interval_seconds"),
            "component_ids": request.form.getlist("component_ids")}
    try:
        feed = registry.register_feed(data)
    except registry.FeedInvalid as exc:
        db.session.rollback()
        return _render(form=request.form, error=exc.message, status=400)
    db.session.commit()
    flash(_("Feed “%(name)s” added; it will be fetched within a minute.", name=feed.name))
    return redirect(url_for("admin.upstreams"))


def _feed(feed_id: int) -> UpstreamFeed:
    feed = db.session.get(UpstreamFeed, feed_id)
    if feed is None:
        abort(404)
    return feed


@bp.post("/upstreams/<int:feed_id>/delete")
@login_required
def delete_upstream(feed_id: int):
    _require_admin()
    feed = _feed(feed_id)
    if feed.deleted_at is None:
        registry.delete_feed(feed)
        db.session.commit()
        flash(_("Feed “%(name)s” moved to the trash. You can restore it below.", name=feed.name))
    return redirect(url_for("admin.upstreams"))


@bp.post("/upstreams/<int:feed_id>/restore")
@login_required
def restore_upstream(feed_id: int):
    _require_admin()
    feed = _feed(feed_id)
    if feed.deleted_at is not None:
        registry.restore_feed(feed)
        db.session.commit()
        flash(_("Feed “%(name)s” restored.", name=feed.name))
    return redirect(url_for("admin.upstreams"))
