"""Admin users, second factor, recovery codes and API tokens as seen from the admin UI."""
from __future__ import annotations

import hashlib
import hmac
import secrets

import pyotp
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..extensions import db
from ..models import ROLE_RANK, ROLES, AdminUser, ApiToken, utcnow
from . import audit
from .accounts import issue_api_token, set_password
from .validation import ValidationError, choice, text

MIN_PASSWORD = 10


def user_dict(user: AdminUser) -> dict:
    return {"id": user.id, "email": user.email, "name": user.name, "role": user.role,
            "totp_enabled": bool(user.totp_secret), "session_version": user.session_version,
            "deleted_at": user.deleted_at.isoformat() if user.deleted_at else None}


def token_dict(token: ApiToken) -> dict:
    return {"id": token.id, "user_id": token.user_id, "name": token.name, "role": token.role, "prefix": token.prefix,
            "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None}


def find_user_by_email(email: str) -> AdminUser | None:
    return db.session.scalars(select(AdminUser).where(
        AdminUser.email == (email or "").strip().lower()[:320], AdminUser.deleted_at.is_(None))).first()


def check_new_password(password: str, confirm: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise ValidationError({"password": _("Use at least %(n)d characters.", n=MIN_PASSWORD)})
    if len(password) > 1000:
        raise ValidationError({"password": _("Must be at most %(n)d characters.", n=1000)})
    if password != confirm:
        raise ValidationError({"confirm": _("The two passwords differ.")})


def change_password(user: AdminUser, password: str, confirm: str) -> None:
    """A new password signs the user out of every other session (session_version moves on)."""
    check_new_password(password, confirm)
    set_password(user, password)
    audit.record("change_password", "admin_user", user.id, summary=user.email)
    db.session.commit()


def logout_everywhere(user: AdminUser) -> None:
    user.session_version += 1
    audit.record("logout_everywhere", "admin_user", user.id, summary=user.email)
    db.session.commit()


def save_user(data: dict, user: AdminUser | None = None, acting: AdminUser | None = None) -> AdminUser:
    email = text(data, "email", 320, required=user is None).lower()
    name = text(data, "name", 200)
    role = choice(data, "role", ROLES, default=user.role if user else "responder")
    before = user_dict(user) if user else None
    if user is None:
        if "@" not in email:
            raise ValidationError({"email": _("Enter an email address.")})
        if db.session.scalars(select(AdminUser).where(AdminUser.email == email)).first():
            raise ValidationError({"email": _("An account with this email exists (perhaps deleted).")})
        password = data.get("password") or ""
        check_new_password(password, data.get("confirm") or "")
        user = AdminUser(email=email, name=name or email.split("@")[0], role=role, password_hash="!")
        set_password(user, password)
        db.session.add(user)
    else:
        if user.role == "admin" and role != "admin":
            _keep_an_admin(user)
        if role != user.role:
            # Tokens never outrank their user; a demotion signs the user out.
            user.session_version += 1
        user.role = role
        user.name = name or user.name
    db.session.flush()
    audit.record("update" if before else "create", "admin_user", user.id, before=before, after=user_dict(user),
                 summary=user.email)
    db.session.commit()
    return user


def _keep_an_admin(user: AdminUser) -> None:
    admins = db.session.scalar(select(func.count()).select_from(AdminUser).where(
        AdminUser.role == "admin", AdminUser.deleted_at.is_(None), AdminUser.id != user.id))
    if not admins:
        raise ValidationError({"role": _("Keep at least one admin.")})


def delete_user(user: AdminUser) -> None:
    if user.role == "admin":
        _keep_an_admin(user)
    before = user_dict(user)
    user.soft_delete()
    user.session_version += 1
    audit.record("delete", "admin_user", user.id, before=before, after=user_dict(user), summary=user.email)
    db.session.commit()


def restore_user(user: AdminUser) -> None:
    before = user_dict(user)
    user.restore()
    audit.record("restore", "admin_user", user.id, before=before, after=user_dict(user), summary=user.email)
    db.session.commit()


# --- second factor -------------------------------------------------------------------------

def _hash_code(code: str) -> str:
    return hashlib.sha256(code.strip().replace("-", "").lower().encode()).hexdigest()


def new_totp_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: AdminUser, secret: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer)


def enable_totp(user: AdminUser, secret: str, code: str) -> list[str]:
    """Turn on the second factor once a code from the app matches; returns recovery codes to show once."""
    if not pyotp.TOTP(secret).verify((code or "").strip(), valid_window=1):
        raise ValidationError({"code": _("That code does not match. Check the time on your phone and try again.")})
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _i in range(10)]
    user.totp_secret = secret
    user.recovery_codes = [_hash_code(c) for c in codes]
    audit.record("enable_totp", "admin_user", user.id, summary=user.email)
    db.session.commit()
    return codes


def disable_totp(user: AdminUser) -> None:
    user.totp_secret = None
    user.recovery_codes = []
    audit.record("disable_totp", "admin_user", user.id, summary=user.email)
    db.session.commit()


def verify_second_factor(user: AdminUser, code: str) -> bool:
    """A current TOTP code, or an unused recovery code (which is then used up)."""
    code = (code or "").strip()
    if not user.totp_secret or not code or len(code) > 64:
        return False
    if code.isdigit() and pyotp.TOTP(user.totp_secret).verify(code, valid_window=1):
        return True
    hashed = _hash_code(code)
    remaining = list(user.recovery_codes or [])
    match = None
    for stored in remaining:
        if hmac.compare_digest(stored, hashed):
            match = stored
    if match is None:
        return False
    remaining.remove(match)
    user.recovery_codes = remaining
    audit.record("use_recovery_code", "admin_user", user.id, summary=user.email)
    db.session.commit()
    return True


# --- API tokens ----------------------------------------------------------------------------

def create_token(user: AdminUser, name: str, role: str) -> tuple[ApiToken, str]:
    name = text({"name": name}, "name", 200)
    role = choice({"role": role}, "role", ROLES, default=user.role)
    if ROLE_RANK[role] > ROLE_RANK[user.role]:
        raise ValidationError({"role": _("A token cannot have more rights than its user (%(role)s).", role=user.role)})
    token, raw = issue_api_token(user, name=name, role=role)
    db.session.flush()
    audit.record("create", "api_token", token.id, after=token_dict(token), summary=name)
    db.session.commit()
    return token, raw


def revoke_token(token: ApiToken) -> None:
    before = token_dict(token)
    token.revoked_at = token.revoked_at or utcnow()
    audit.record("revoke", "api_token", token.id, before=before, after=token_dict(token), summary=token.name)
    db.session.commit()
