"""The second factor: enrolment, checking a code, and what guesses cost.

- The seed being enrolled stays on the server (`totp_pending_secret`, encrypted) until a code
  from the app confirms it; the session never carries it.
- A TOTP code works once: the time-step it matched is remembered and any step up to it is refused,
  with a conditional UPDATE so two requests racing with one code cannot both pass.
- Wrong codes are counted per user (in the database) and per pending sign-in (the caller's key):
  after FREE_FAILURES in a row each further try waits longer (1 s, 2 s, 4 s … up to 5 minutes),
  and after MAX_FAILURES the second factor is locked until an admin unlocks it. The lockout, the
  unlock and every failure are in the audit log.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

import pyotp
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import or_, update

from ..extensions import db
from ..models import AdminUser, utcnow
from ..ratelimit import hit
from . import audit
from .audit import Actor
from .validation import ValidationError

STEP_SECONDS = 30
FREE_FAILURES = 3
MAX_FAILURES = 10
MAX_BACKOFF_SECONDS = 300
PENDING_MAX_FAILURES = 5  # per pending sign-in: then the password again
PENDING_WINDOW_SECONDS = 600


@dataclass
class Outcome:
    ok: bool
    message: str = ""
    status: int = 200
    restart: bool = False  # the pending sign-in is spent: ask for the password again


def _hash_code(code: str) -> str:
    return hashlib.sha256(code.strip().replace("-", "").lower().encode()).hexdigest()


def enrolment_secret(user: AdminUser) -> str:
    """The seed this user is enrolling, drawn once and kept server-side until confirmed; committed."""
    if not user.totp_pending_secret:
        user.totp_pending_secret = pyotp.random_base32()
        db.session.commit()
    return user.totp_pending_secret


def provisioning_uri(user: AdminUser, secret: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer)


def _matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time-step (one either side of now) whose code is `code`, or None."""
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = int(now if now is not None else time.time()) // STEP_SECONDS
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def _claim_step(user: AdminUser, step: int) -> bool:
    """Remember `step` as used unless it (or a later one) was used already."""
    result = db.session.execute(
        update(AdminUser).where(AdminUser.id == user.id,
                                or_(AdminUser.totp_last_step.is_(None), AdminUser.totp_last_step < step))
        .values(totp_last_step=step).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return False
    user.totp_last_step = step
    return True


def enable_totp(user: AdminUser, code: str, *, actor: Actor) -> list[str]:
    """Turn on the second factor once a code for the pending seed matches; returns recovery codes (shown once)."""
    secret = user.totp_pending_secret
    step = _matching_step(secret, (code or "").strip()) if secret else None
    if step is None:
        raise ValidationError({"code": _("That code does not match. Check the time on your phone and try again.")})
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _i in range(10)]
    user.totp_secret = secret
    user.totp_pending_secret = None
    user.totp_last_step = step  # the code that turned it on does not also sign in
    user.totp_failures, user.totp_locked, user.totp_last_failure_at = 0, False, None
    user.recovery_codes = [_hash_code(c) for c in codes]
    audit.record("enable_totp", "admin_user", user.id, actor=actor, summary=user.email)
    db.session.commit()
    return codes


def disable_totp(user: AdminUser, *, actor: Actor) -> None:
    user.totp_secret = None
    user.totp_pending_secret = None
    user.totp_last_step = None
    user.recovery_codes = []
    audit.record("disable_totp", "admin_user", user.id, actor=actor, summary=user.email)
    db.session.commit()


def unlock(user: AdminUser, *, actor: Actor) -> None:
    """An admin lets a locked-out user try codes again."""
    user.totp_failures, user.totp_locked, user.totp_last_failure_at = 0, False, None
    audit.record("unlock_totp", "admin_user", user.id, actor=actor, summary=user.email)
    db.session.commit()


def backoff_seconds(failures: int) -> int:
    if failures < FREE_FAILURES:
        return 0
    return min(2 ** (failures - FREE_FAILURES), MAX_BACKOFF_SECONDS)


def _wait_left(user: AdminUser) -> float:
    if not user.totp_last_failure_at:
        return 0.0
    due = user.totp_last_failure_at + timedelta(seconds=backoff_seconds(user.totp_failures))
    return max(0.0, (due - utcnow()).total_seconds())


def verify(user: AdminUser, code: str, *, pending_key: str) -> Outcome:
    """Check a TOTP or recovery code for the sign-in `pending_key` names; committed either way."""
    code = (code or "").strip()
    if user.totp_locked:
        return Outcome(False, _("Two-factor sign-in is locked after too many wrong codes. Ask an admin to unlock it."),
                       423)
    wait = _wait_left(user)
    if wait > 0:
        return Outcome(False, _("Too many wrong codes. Wait %(n)d seconds and try again.", n=int(wait) + 1), 429)
    if user.totp_secret and code and len(code) <= 64 and _accept(user, code):
        user.totp_failures, user.totp_last_failure_at = 0, None
        db.session.commit()
        return Outcome(True)
    return _count_failure(user, pending_key)


def _accept(user: AdminUser, code: str) -> bool:
    step = _matching_step(user.totp_secret, code)
    if step is not None:
        return _claim_step(user, step)
    hashed = _hash_code(code)
    remaining = list(user.recovery_codes or [])
    match = next((stored for stored in remaining if hmac.compare_digest(stored, hashed)), None)
    if match is None:
        return False
    remaining.remove(match)
    user.recovery_codes = remaining
    # The person signing in is the one acting: they have passed the password step.
    audit.record("use_recovery_code", "admin_user", user.id, actor=Actor.of(user), summary=user.email)
    return True


def _count_failure(user: AdminUser, pending_key: str) -> Outcome:
    user.totp_failures = (user.totp_failures or 0) + 1
    user.totp_last_failure_at = utcnow()
    audit.record("totp_failure", "admin_user", user.id, actor=Actor.of(user),
                 summary=f"{user.email}: wrong code {user.totp_failures} in a row")
    if user.totp_failures >= MAX_FAILURES:
        user.totp_locked = True
        audit.record("lock_totp", "admin_user", user.id, actor=Actor.system(),
                     summary=f"{user.email}: locked after {user.totp_failures} wrong codes")
    db.session.commit()
    # `hit` says False once the count passes its limit: the PENDING_MAX_FAILURES-th wrong code ends the sign-in.
    within_session = hit(current_app, f"totp-pending:{pending_key}", PENDING_MAX_FAILURES - 1, PENDING_WINDOW_SECONDS,
                         always=True)
    if user.totp_locked:
        return Outcome(False, _("Two-factor sign-in is locked after too many wrong codes. Ask an admin to unlock it."),
                       423, restart=True)
    if not within_session:
        return Outcome(False, _("Too many wrong codes. Please sign in again."), 429, restart=True)
    return Outcome(False, _("That code is not valid."), 401)
