"""Sign in (with an optional second factor), sign out, sign out everywhere, own account."""
from __future__ import annotations

import secrets
import time

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import limiter, login_manager
from ..models import AdminUser
from ..services import accounts, second_factor
from ..services.validation import ValidationError
from . import bp
from .access import acting, role_required, safe_next, signed_in_user

PENDING = "pending_second_factor"
PENDING_SECONDS = 300


def _login_email_key() -> str:
    return "login:" + (request.form.get("email") or "").strip().lower()[:320]


def _finish_login(user: AdminUser):
    next_url = session.get("login_next")
    session.clear()  # a fresh session: nothing from before sign-in survives (fixation)
    login_user(user)
    accounts.record_login(user)
    return redirect(safe_next(next_url))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute;100 per hour", methods=["POST"])
@limiter.limit("10 per minute", key_func=_login_email_key, methods=["POST"])
def login():
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(url_for("admin.dashboard"))
        session["login_next"] = request.args.get("next")
        return render_template("admin/login.html", email="")
    email = (request.form.get("email") or "").strip().lower()[:320]
    password = (request.form.get("password") or "")[:1000]
    user = accounts.find_user_by_email(email)
    # One message and the same work for an unknown email and a wrong password.
    if not accounts.check_password(user, password):
        flash(_("Email or password is incorrect."), "error")
        return render_template("admin/login.html", email=email), 401
    if user.totp_secret:
        # `key` names this pending sign-in: wrong codes are counted against it on the server.
        session[PENDING] = {"id": user.get_id(), "at": time.time(), "key": secrets.token_urlsafe(16)}
        return redirect(url_for("admin.login_second_factor"))
    return _finish_login(user)


@bp.route("/login/verify", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def login_second_factor():
    pending = session.get(PENDING) or {}
    user = _pending_user(pending)
    if user is None:
        session.pop(PENDING, None)
        flash(_("Please sign in again."), "error")
        return redirect(url_for("admin.login"))
    if request.method == "POST":
        outcome = second_factor.verify(user, request.form.get("code", "")[:100], pending_key=str(pending.get("key")))
        if outcome.ok:
            return _finish_login(user)
        flash(outcome.message, "error")
        if outcome.restart:
            session.pop(PENDING, None)
            return redirect(url_for("admin.login")), 303
        return render_template("admin/login_verify.html"), outcome.status
    return render_template("admin/login_verify.html")


def _pending_user(pending: dict) -> AdminUser | None:
    """The user who passed the password step, if that was recent and their sessions are still valid."""
    if not pending or time.time() - float(pending.get("at", 0)) > PENDING_SECONDS:
        return None
    return login_manager._user_callback(str(pending.get("id")))


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        accounts.end_sessions(signed_in_user())
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("admin.login"))


@bp.post("/account/logout-everywhere")
@login_required
def logout_everywhere():
    accounts.logout_everywhere(signed_in_user(), actor=acting())
    logout_user()
    session.clear()
    flash(_("You are signed out on every device."), "info")
    return redirect(url_for("admin.login"))


@bp.route("/account", methods=["GET", "POST"])
@role_required("viewer")
def account():
    errors = {}
    user = signed_in_user()
    if request.method == "POST":
        if not accounts.check_password(user, request.form.get("current_password", "")[:1000]):
            errors["current_password"] = _("Your current password is not correct.")
        else:
            try:
                accounts.change_password(user, request.form.get("password", ""), request.form.get("confirm", ""),
                                         actor=acting())
                login_user(user)  # this session carries on with the new session version
                flash(_("Password changed. Other sessions are signed out."), "info")
                return redirect(url_for("admin.account"))
            except ValidationError as exc:
                errors = exc.errors
    return render_template("admin/account.html", errors=errors), 422 if errors else 200


@bp.route("/account/two-factor", methods=["GET", "POST"])
@role_required("viewer")
def two_factor():
    user = signed_in_user()
    if user.totp_secret:
        if request.method == "POST":
            if not accounts.check_password(user, request.form.get("current_password", "")[:1000]):
                flash(_("Your current password is not correct."), "error")
                return render_template("admin/two_factor.html", enabled=True), 422
            second_factor.disable_totp(user, actor=acting())
            flash(_("Two-factor sign-in is off."), "info")
            return redirect(url_for("admin.account"))
        return render_template("admin/two_factor.html", enabled=True)
    # The seed waits on the server until a code confirms it; the session cookie never carries it.
    secret = second_factor.enrolment_secret(user)
    uri = second_factor.provisioning_uri(user, secret, current_app.config.get("SITE_NAME", "Status"))
    if request.method == "POST":
        try:
            codes = second_factor.enable_totp(user, request.form.get("code", "")[:100], actor=acting())
        except ValidationError as exc:
            return render_template("admin/two_factor.html", enabled=False, secret=secret, uri=uri,
                                   errors=exc.errors), 422
        return render_template("admin/two_factor_codes.html", codes=codes)
    return render_template("admin/two_factor.html", enabled=False, secret=secret, uri=uri, errors={})
