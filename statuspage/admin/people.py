"""Admin users, API tokens and site settings."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import limiter
from ..models import ROLE_RANK, ROLES, AdminUser, ApiToken
from ..services import accounts, second_factor
from ..services.playbooks import PLACEHOLDERS, save_site_placeholder_defaults, site_placeholder_defaults
from ..services.validation import ValidationError
from . import bp
from .access import acting, flash_errors, get_or_404, role_required, signed_in_user


@bp.get("/users")
@role_required("admin")
def users():
    return render_template("admin/users.html", users=accounts.list_users(), roles=ROLES, errors={}, form={})


@bp.post("/users")
@role_required("admin")
def user_create():
    try:
        accounts.save_user(request.form.to_dict(), actor=acting())
    except ValidationError as exc:
        return render_template("admin/users.html", users=accounts.list_users(deactivated_last=False), roles=ROLES,
                               errors=exc.errors, form=request.form), 422
    flash(_("Account created."), "info")
    return redirect(url_for("admin.users"))


@bp.post("/users/<user_id>")
@role_required("admin")
def user_update(user_id):
    user = get_or_404(AdminUser, user_id, live=False)
    action = request.form.get("action")
    try:
        if action == "delete":
            accounts.delete_user(user, actor=acting())
        elif action == "restore":
            accounts.restore_user(user, actor=acting())
        elif action == "unlock_totp":
            second_factor.unlock(user, actor=acting())
        else:
            accounts.save_user(request.form.to_dict(), user=user, actor=acting())
    except ValidationError as exc:
        flash_errors(exc)
        return redirect(url_for("admin.users"))
    flash(_("Saved."), "info")
    return redirect(url_for("admin.users"))


def _visible_tokens():
    return accounts.visible_tokens(signed_in_user())


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
        token, raw = accounts.create_token(signed_in_user(), request.form.get("name", ""),
                                           request.form.get("role", current_user.role), actor=acting())
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
    accounts.revoke_token(token, actor=acting())
    flash(_("Token revoked. Scripts using it stop working now."), "info")
    return redirect(url_for("admin.tokens"))


@bp.route("/settings", methods=["GET", "POST"])
@role_required("admin")
def settings():
    if request.method == "POST":
        save_site_placeholder_defaults(request.form.to_dict(), actor=acting())
        flash(_("Settings saved."), "info")
        return redirect(url_for("admin.settings"))
    return render_template("admin/settings.html", values=site_placeholder_defaults(), placeholders=PLACEHOLDERS)
