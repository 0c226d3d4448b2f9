"""Admin accounts: the one way to save a user, passwords, sign-in, second factor, API tokens.

The admin pages, the CLI (`create-admin`, `create-api-token`) and the first start
all create users through `create_user`, so one password rule holds everywhere.
"""
from __future__ import annotations

import hashlib
import secrets
from functools import lru_cache

from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import ROLE_RANK, ROLES, AdminUser, ApiToken, utcnow
from . import audit
from .audit import Actor
from .validation import ValidationError, choice, text

MIN_PASSWORD = 10
MAX_PASSWORD = 1000
TOKEN_PREFIX = "sp_"


def user_dict(user: AdminUser) -> dict:
    return {"id": user.id, "email": user.email, "name": user.name, "role": user.role,
            "totp_enabled": bool(user.totp_secret), "session_version": user.session_version,
            "deleted_at": user.deleted_at.isoformat() if user.deleted_at else None}


def token_dict(token: ApiToken) -> dict:
    return {"id": token.id, "user_id": token.user_id, "name": token.name, "role": token.role, "prefix": token.prefix,
            "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None}


# --- finding users -------------------------------------------------------------------------

def _normal_email(email: str | None) -> str:
    return (email or "").strip().lower()[:320]


def find_user_by_email(email: str, include_deleted: bool = False) -> AdminUser | None:
    query = select(AdminUser).where(AdminUser.email == _normal_email(email))
    if not include_deleted:
        query = query.where(AdminUser.deleted_at.is_(None))
    return db.session.scalars(query).first()


def any_user_exists() -> bool:
    return db.session.scalar(select(AdminUser.id).limit(1)) is not None


def list_users(deactivated_last: bool = True) -> list[AdminUser]:
    query = select(AdminUser)
    if deactivated_last:
        query = query.order_by(AdminUser.deleted_at.is_not(None))
    return list(db.session.scalars(query.order_by(AdminUser.email)))


# --- passwords -----------------------------------------------------------------------------

def set_password(user: AdminUser, password: str) -> None:
    """Store the hash of an already checked password; the new password signs the user out everywhere else."""
    user.password_hash = generate_password_hash(password, method="scrypt")
    user.session_version = (user.session_version or 0) + 1


def check_password(user: AdminUser | None, password: str) -> bool:
    if user is None:
        # Same work as a real check, so timing does not reveal unknown emails.
        check_password_hash(_dummy_hash(), password)
        return False
    return check_password_hash(user.password_hash, password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Made on first use, not at import: scrypt costs a tenth of a second of CPU."""
    return generate_password_hash("not-a-real-password", method="scrypt")


def check_new_password(password: str, confirm: str | None = None) -> None:
    """The one password rule. `confirm` None: the caller has already asked twice (the CLI prompt)."""
    if len(password or "") < MIN_PASSWORD:
        raise ValidationError({"password": _("Use at least %(n)d characters.", n=MIN_PASSWORD)})
    if len(password) > MAX_PASSWORD:
        raise ValidationError({"password": _("Must be at most %(n)d characters.", n=MAX_PASSWORD)})
    if confirm is not None and password != confirm:
        raise ValidationError({"confirm": _("The two passwords differ.")})


def change_password(user: AdminUser, password: str, confirm: str | None = None, *, actor: Actor) -> None:
    """A new password signs the user out of every other session (session_version moves on)."""
    check_new_password(password, confirm)
    set_password(user, password)
    audit.record("change_password", "admin_user", user.id, actor=actor, summary=user.email)
    db.session.commit()


# --- saving users --------------------------------------------------------------------------

def create_user(*, email: str, password: str, confirm: str | None = None, name: str = "", role: str = "responder",
                actor: Actor) -> AdminUser:
    """Every new admin user comes from here: the admin page, `create-admin` and the first start."""
    email = text({"email": email}, "email", 320, required=True).lower()
    name = text({"name": name}, "name", 200)
    role = choice({"role": role}, "role", ROLES)
    if "@" not in email:
        raise ValidationError({"email": _("Enter an email address.")})
    if find_user_by_email(email, include_deleted=True) is not None:
        raise ValidationError({"email": _("An account with this email exists (perhaps deleted).")})
    check_new_password(password, confirm)
    user = AdminUser(email=email, name=name or email.split("@")[0], role=role, password_hash="!")
    set_password(user, password)
    db.session.add(user)
    db.session.flush()
    audit.record("create", "admin_user", user.id, actor=actor, after=user_dict(user), summary=user.email)
    db.session.commit()
    return user


def save_user(data: dict, user: AdminUser | None = None, *, actor: Actor) -> AdminUser:
    """The admin page's form: a new user (with email and password) or a new name and role."""
    if user is None:
        return create_user(email=data.get("email"), password=data.get("password") or "",
                           confirm=data.get("confirm") or "", name=data.get("name"),
                           role=data.get("role", "responder"), actor=actor)
    name = text(data, "name", 200)
    role = choice(data, "role", ROLES, default=user.role)
    if user.role == "admin" and role != "admin":
        _keep_an_admin(user)
    before = user_dict(user)
    if role != user.role:
        # Tokens never outrank their user; a demotion signs the user out.
        user.session_version += 1
    user.role = role
    user.name = name or user.name
    audit.record("update", "admin_user", user.id, actor=actor, before=before, after=user_dict(user),
                 summary=user.email)
    db.session.commit()
    return user


def reset_user(user: AdminUser, password: str, *, name: str = "", actor: Actor) -> AdminUser:
    """`create-admin` for an existing email: back from the trash if need be, with a new password."""
    check_new_password(password)
    before = user_dict(user)
    user.restore()
    user.name = name or user.name
    set_password(user, password)
    audit.record("reset_password", "admin_user", user.id, actor=actor, before=before, after=user_dict(user),
                 summary=user.email)
    db.session.commit()
    return user


def _keep_an_admin(user: AdminUser) -> None:
    admins = db.session.scalar(select(func.count()).select_from(AdminUser).where(
        AdminUser.role == "admin", AdminUser.deleted_at.is_(None), AdminUser.id != user.id))
    if not admins:
        raise ValidationError({"role": _("Keep at least one admin.")})


def delete_user(user: AdminUser, *, actor: Actor) -> None:
    if user.id == actor.user_id:
        raise ValidationError({"user": _("You cannot delete your own account.")})
    if user.role == "admin":
        _keep_an_admin(user)
    before = user_dict(user)
    user.soft_delete()
    user.session_version += 1
    audit.record("delete", "admin_user", user.id, actor=actor, before=before, after=user_dict(user),
                 summary=user.email)
    db.session.commit()


def restore_user(user: AdminUser, *, actor: Actor) -> None:
    before = user_dict(user)
    user.restore()
    audit.record("restore", "admin_user", user.id, actor=actor, before=before, after=user_dict(user),
                 summary=user.email)
    db.session.commit()


# --- signing in and out --------------------------------------------------------------------

def record_login(user: AdminUser) -> None:
    user.last_login_at = utcnow()
    audit.record("login", "admin_user", user.id, actor=Actor.of(user), summary=user.email)
    db.session.commit()


def end_sessions(user: AdminUser) -> None:
    """Signing out: the session is a signed cookie, so only a new session version stops a copy of it working."""
    user.session_version += 1
    db.session.commit()


def logout_everywhere(user: AdminUser, *, actor: Actor) -> None:
    user.session_version += 1
    audit.record("logout_everywhere", "admin_user", user.id, actor=actor, summary=user.email)
    db.session.commit()


# --- API tokens ----------------------------------------------------------------------------

def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_api_token(user: AdminUser, name: str = "", role: str | None = None) -> tuple[ApiToken, str]:
    """Add a token to the session; the raw value is returned once and never stored. The caller commits."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, role=role or user.role, token_hash=hash_token(raw), prefix=raw[:10])
    db.session.add(token)
    return token, raw


def create_token(user: AdminUser, name: str, role: str | None, *, actor: Actor) -> tuple[ApiToken, str]:
    """A token for `user`, never with more rights than the user has."""
    name = text({"name": name}, "name", 200)
    role = choice({"role": role or user.role}, "role", ROLES)
    if ROLE_RANK[role] > ROLE_RANK[user.role]:
        raise ValidationError({"role": _("A token cannot have more rights than its user (%(role)s).", role=user.role)})
    token, raw = issue_api_token(user, name=name, role=role)
    db.session.flush()
    audit.record("create", "api_token", token.id, actor=actor, after=token_dict(token), summary=name)
    db.session.commit()
    return token, raw


def revoke_token(token: ApiToken, *, actor: Actor) -> None:
    before = token_dict(token)
    token.revoked_at = token.revoked_at or utcnow()
    audit.record("revoke", "api_token", token.id, actor=actor, before=before, after=token_dict(token),
                 summary=token.name)
    db.session.commit()


def visible_tokens(user: AdminUser) -> list[ApiToken]:
    """An admin sees every token; anyone else only their own."""
    query = select(ApiToken).order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc())
    if not user.has_role("admin"):
        query = query.where(ApiToken.user_id == user.id)
    return list(db.session.scalars(query))


def authenticate_token(raw: str) -> ApiToken | None:
    """The live token with this value, its last use recorded (committed even if the request then fails)."""
    token = db.session.scalars(select(ApiToken).where(ApiToken.token_hash == hash_token(raw))).first()
    if token is None or token.revoked_at is not None or token.user.deleted_at is not None:
        return None
    token.last_used_at = utcnow()
    db.session.commit()
    return token
