"""Role checks for admin views and the small helpers the views share."""
from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from ..services import lookup
from ..services.audit import Actor
from ..services.validation import ValidationError, id_value


def role_required(role: str):
    """Signed in (else to the login page) and at least `role` (else 403)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return redirect(url_for("admin.login", next=request.full_path if request.method == "GET" else None))
            if not current_user.has_role(role):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_role = role
        return wrapped

    return decorator


def safe_next(target: str | None) -> str:
    """Only same-site admin paths, so a crafted link cannot bounce a fresh login elsewhere."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/admin") and "\\" not in target:
            return target
    return url_for("admin.dashboard")


def form_ids(name: str) -> list[int]:
    return [i for i in (id_value(v) for v in request.form.getlist(name)) if i]


def checkbox(name: str) -> bool:
    return request.form.get(name) in ("1", "on", "true", "y")


def acting() -> Actor:
    """The signed-in admin, as the services want to be told who acts."""
    return Actor.of(current_user, via="web")


def signed_in_user():
    """The signed-in admin as a plain object (not the request-bound proxy), for services to keep."""
    return current_user._get_current_object()


def require_role(role: str) -> None:
    """For a view open to a lesser role whose writes need more: 403 unless the admin has `role`."""
    if not current_user.has_role(role):
        abort(403)


def get_or_404(model, object_id, live: bool = True):
    obj = lookup.find(model, object_id, live=live)
    if obj is None:
        abort(404)
    return obj


def flash_errors(exc: ValidationError) -> None:
    for message in exc.errors.values():
        flash(message, "error")
