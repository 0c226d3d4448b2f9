"""Requests that take effect once: admin forms' one-time post tokens and the API's `Idempotency-Key`.

A form token is claimed in the same transaction as the incident or update it
posts, so a resubmitted form (Back + Post, a second tab, a double click, a
network retry) hits the unique (scope, key) row and posts nothing.

An API key is reserved in a transaction of its own before the request runs
and holds the answer once it is done: a repeat with the same body within 24 h
gets that answer back, a repeat with another body is refused, and a copy
that arrives while the first is still running waits for its answer.
"""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import IdempotencyKey, utcnow
from .audit import Actor

FORM_SCOPE = "form"
KEY_MAX = 255
API_KEY_LIFETIME = timedelta(hours=24)
WAIT_FOR_FIRST_SECONDS = 10.0


class AlreadyPosted(Exception):
    """This form was posted before; `incident_id` is what it posted (None if that is gone)."""

    def __init__(self, incident_id: int | None):
        super().__init__(incident_id)
        self.incident_id = incident_id


class KeyReused(Exception):
    """The same Idempotency-Key came with another request."""


class KeyInFlight(Exception):
    """The first request with this key has not finished yet."""


@dataclass(frozen=True)
class StoredAnswer:
    status_code: int
    body: str
    content_type: str


def claim_form_token(token: str | None, *, actor: Actor) -> IdempotencyKey | None:
    """Mark a form's one-time token used, in the caller's transaction; AlreadyPosted when it was.

    Call it before anything else is written: a clash rolls the session back.
    """
    token = (token or "").strip()[:KEY_MAX]
    if not token:
        return None
    record = IdempotencyKey(scope=FORM_SCOPE, key=token, fingerprint=f"user:{actor.user_id}")
    db.session.add(record)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        earlier = db.session.scalars(select(IdempotencyKey).where(
            IdempotencyKey.scope == FORM_SCOPE, IdempotencyKey.key == token)).first()
        raise AlreadyPosted(earlier.incident_id if earlier else None) from None
    return record


def request_fingerprint(method: str, path: str, body: bytes) -> str:
    """A hash of what was asked; JSON bodies compare by content, not by spacing or key order."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = body
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), canonical):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


def api_scope(actor: Actor) -> str:
    return f"api:{actor.user_id}"


def begin_api_request(actor: Actor, key: str, fingerprint: str) -> int | StoredAnswer:
    """Reserve `key` for this request (its record id) or hand back the first request's answer.

    KeyReused when the key came with another request; KeyInFlight when the
    first request is still running after a short wait.
    """
    scope = api_scope(actor)
    deadline = time.monotonic() + WAIT_FOR_FIRST_SECONDS
    while True:
        _forget_expired(scope)
        record = IdempotencyKey(scope=scope, key=key, fingerprint=fingerprint)
        db.session.add(record)
        try:
            db.session.commit()
            return record.id
        except IntegrityError:
            db.session.rollback()
        earlier = db.session.scalars(select(IdempotencyKey).where(
            IdempotencyKey.scope == scope, IdempotencyKey.key == key)).first()
        if earlier is None:  # expired and removed in between: reserve again
            continue
        if earlier.fingerprint != fingerprint:
            db.session.rollback()
            raise KeyReused(_("This Idempotency-Key was already used for a different request. "
                              "Use a new key for a new request."))
        if earlier.status_code is not None:
            answer = StoredAnswer(earlier.status_code, earlier.response_body or "",
                                  earlier.content_type or "application/json")
            db.session.rollback()
            return answer
        db.session.rollback()
        if time.monotonic() >= deadline:
            raise KeyInFlight(_("A request with this Idempotency-Key is still being processed. Retry shortly."))
        time.sleep(0.1)


def finish_api_request(record_id: int, status_code: int, body: str, content_type: str) -> None:
    """Keep the answer for repeats; a server error forgets the key so a retry can run again."""
    db.session.rollback()
    if status_code >= 500:
        db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == record_id))
    else:
        record = db.session.get(IdempotencyKey, record_id)
        if record is not None:
            record.status_code = status_code
            record.response_body = body
            record.content_type = content_type[:100]
    db.session.commit()


def _forget_expired(scope: str) -> None:
    db.session.execute(delete(IdempotencyKey).where(
        IdempotencyKey.scope == scope, IdempotencyKey.created_at < utcnow() - API_KEY_LIFETIME))
