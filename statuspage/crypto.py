"""Secrets at rest (TOTP seeds, webhook signing secrets), encrypted with a key derived from SECRET_KEY.

A stored value reads `enc1:<Fernet token>`. The key is HKDF-SHA256 of SECRET_KEY, so a copy of the
database alone does not give away the seeds. Rotation: put the old key in SECRET_KEY_FALLBACKS (as
Flask does for sessions) and set the new SECRET_KEY; values still readable with a fallback key are
re-encrypted with the new one by `flask reencrypt-secrets` (or when next written). A value without the
prefix is a plain value from before encryption and is read as it is.
"""
from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import String
from sqlalchemy.types import TypeDecorator

PREFIX = "enc1:"
_INFO = b"statuspage secrets at rest v1"


class SecretUnreadable(ValueError):
    """Encrypted with a key that is neither SECRET_KEY nor one of SECRET_KEY_FALLBACKS."""


def _fernet_for(secret_key: str | bytes) -> Fernet:
    raw = secret_key.encode() if isinstance(secret_key, str) else secret_key
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(raw)
    return Fernet(base64.urlsafe_b64encode(key))


def _keys() -> MultiFernet:
    config = current_app.config
    keys = [config["SECRET_KEY"], *(config.get("SECRET_KEY_FALLBACKS") or [])]
    return MultiFernet([_fernet_for(k) for k in keys if k])


def encrypt(plain: str) -> str:
    return PREFIX + _keys().encrypt(plain.encode()).decode()


def decrypt(stored: str) -> str:
    if not stored.startswith(PREFIX):
        return stored
    try:
        return _keys().decrypt(stored[len(PREFIX):].encode()).decode()
    except InvalidToken:
        raise SecretUnreadable("this secret was encrypted with another SECRET_KEY") from None


def reencrypt(stored: str) -> str:
    """The same secret under the current SECRET_KEY."""
    return encrypt(decrypt(stored))


class EncryptedString(TypeDecorator):
    """A VARCHAR that holds `enc1:…`; Python code sees the plain value."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None or value.startswith(PREFIX):
            return value
        return encrypt(value)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return decrypt(value)
