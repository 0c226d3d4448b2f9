"""Admin users, API tokens and site settings."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db, limiter
from ..models import ROLE_RANK, ROLES, AdminUser, ApiToken
from ..services import people
from ..services.playbooks import PLACEHOLDERS, save_site_placeholder_defaults, site_placeholder_defaults
from ..services.validation import ValidationError
from . import bp
from .access import get_or_404, role_required


@bp.get("/users")
@role_required("admin")
def users():
    rows = db.session.scalars(select(AdminUser).order_by(AdminUser.deleted_at.is_not(None), AdminUser.email)).all()
    return render_template("admin/users.html", users=rows, roles=ROLES, errors={}, form={})


@bp.post("/users")
@role_required("admin")
def user_create():
    try:
        people.save_user(request.form.to_dict())
    except ValidationError as exc:
        rows = db.session.scalars(select(AdminUser).order_by(AdminUser.email)).all()
        return render_template("admin/users.html", users=rows, roles=ROLES, errors=exc.errors,
                               form=request.form), 422
    flash(_("Account created."), "info")
    return redirect(url_for("admin.users"))


@bp.post("/users/<user_id>")
@role_required("admin")
def user_update(user_id):
    user = get_or_404(AdminUser, user_id, live=False)
    action = request.form.get("action")
    try:
        if action == "delete":
            if user.id == current_user.id:
                raise ValidationError({"user": _("You cannot delete your own account.")})
            people.delete_user(user)
        elif action == "restore":
            people.restore_user(user)
        else:
            people.save_user(request.form.to_dict(), user=user)
    except ValidationError as exc:
        for message in exc.errors.values():
            flash(message, "error")
        return redirect(url_for("admin.users"))
    flash(_("Saved."), "info")
    return redirect(url_for("admin.users"))


def _visible_tokens():
    query = select(ApiToken).order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc())
    if not current_user.has_role("admin"):
        query = query.where(ApiToken.user_id == current_user.id)
    return db.session.scalars(query).all()


def _allowed_roles():
    return [r for r in ROLES if ROLE_RANK[r] <= ROLE_RANK[current_user.role]]


@bp.get("/tokens")
@role_required("viewer")
def tokens():
    return render_template("admin/tokens.html", tokens=_visible_tokens(), roles=_allowed_roles(), raw=None,
                           errors={})


@bp.post("/tokens")
@role_required("viewer")
@limiter.limit("20 per hour")
def token_create():
    try:
        token, raw = people.create_token(current_user._get_current_object(), request.form.get("name", ""),
                                         request.form.get("role", current_user.role))
    except ValidationError as exc:
        return render_template("admin/tokens.html", tokens=_visible_tokens(), roles=_allowed_roles(), raw=None,
                               errors=exc.errors), 422
    # Shown in this response only; never stored, never shown again.
    return render_template("admin/tokens.html", tokens=_visible_tokens(), roles=_allowed_roles(), raw=raw,
                           new_token=token, errors={})


@bp.post("/tokens/<token_id>/revoke")
@role_required("viewer")
def token_revoke(token_id):
    token = get_or_404(ApiToken, token_id, live=False)
    if token.user_id != current_user.id and not current_user.has_role("admin"):
        abort(403)
    people.revoke_token(token)
    flash(_("Token revoked. Scripts using it stop working now."), "info")
    return redirect(url_for("admin.tokens"))


@bp.route("/settings", methods=["GET", "POST"])
@role_required("admin")
def settings():
    if request.method == "POST":
        save_site_placeholder_defaults(request.form.to_dict())
        flash(_("Settings saved."), "info")
        return redirect(url_for("admin.settings"))
    return render_template("admin/settings.html", values=site_placeholder_defaults(), placeholders=PLACEHOLDERS)
