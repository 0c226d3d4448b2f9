"""Rotating SECRET_KEY: secrets at rest (TOTP seeds, webhook signing secrets) rewritten under the new key.

Set the new SECRET_KEY and put the old one in SECRET_KEY_FALLBACKS; every secret still reads. Then
`flask reencrypt-secrets` stores each one again under the new key, after which the old key can go.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm.attributes import flag_modified

from ..extensions import db
from ..models import AdminUser, Subscriber
from . import audit
from .audit import Actor

ENCRYPTED = ((AdminUser, ("totp_secret", "totp_pending_secret")), (Subscriber, ("webhook_secret",)))


def reencrypt_secrets(*, actor: Actor) -> int:
    """Write every stored secret again (under the current SECRET_KEY); committed; returns how many."""
    count = 0
    for model, columns in ENCRYPTED:
        for row in db.session.scalars(select(model)):
            for column in columns:
                if getattr(row, column):
                    flag_modified(row, column)  # the same plain value, encrypted afresh on flush
                    count += 1
    audit.record("reencrypt_secrets", "configuration", None, actor=actor, summary=f"{count} secrets re-encrypted")
    db.session.commit()
    return count
