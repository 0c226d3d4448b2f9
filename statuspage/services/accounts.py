"""Admin accounts and API tokens."""
from __future__ import annotations

import hashlib
import secrets

from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import AdminUser, ApiToken, utcnow

TOKEN_PREFIX = "sp_"


def set_password(user: AdminUser, password: str) -> None:
    user.password_hash = generate_password_hash(password, method="scrypt")
    # A new password signs the user out everywhere else.
    user.session_version = (user.session_version or 0) + 1


def check_password(user: AdminUser | None, password: str) -> bool:
    if user is None:
        # Same work as a real check, so timing does not reveal unknown emails.
        check_password_hash(_DUMMY_HASH, password)
        return False
    return check_password_hash(user.password_hash, password)


_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_api_token(user: AdminUser, name: str = "", role: str | None = None) -> tuple[ApiToken, str]:
    """Create a token; the raw value is returned once and never stored."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, role=role or user.role, token_hash=hash_token(raw), prefix=raw[:10])
    db.session.add(token)
    return token, raw


def authenticate_token(raw: str) -> ApiToken | None:
    token = db.session.query(ApiToken).filter_by(token_hash=hash_token(raw)).one_or_none()
    if token is None or token.revoked_at is not None or token.user.deleted_at is not None:
        return None
    token.last_used_at = utcnow()
    return token
