"""What every admin API module shares: token auth by role, the acting user, JSON errors, body parsing."""
from __future__ import annotations

from functools import wraps

from flask import Response, g, jsonify, request

from ..models import ROLE_RANK, ApiToken
from ..services import idempotency
from ..services.accounts import authenticate_token
from ..services.audit import Actor


class ApiError(Exception):
    """Raised anywhere under /api/admin/v1; rendered as {"error": {"code", "message"}}."""

    def __init__(self, status: int, code: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details

    def response(self):
        body = {"error": {"code": self.code, "message": self.message}}
        if self.details:
            body["error"]["details"] = self.details
        resp = jsonify(body)
        resp.status_code = self.status
        return resp


def require_role(role: str):
    """Bearer-token auth; the token's role must be at least `role`."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            header = request.headers.get("Authorization", "")
            scheme, _, raw = header.partition(" ")
            if scheme.lower() != "bearer" or not raw.strip():
                raise ApiError(401, "unauthorized", "Send an API token as 'Authorization: Bearer <token>'.")
            token = authenticate_token(raw.strip())
            if token is None:
                raise ApiError(401, "unauthorized", "This API token is not valid or has been revoked.")
            effective = min(ROLE_RANK.get(token.role, -1), ROLE_RANK.get(token.user.role, -1))
            if effective < ROLE_RANK[role]:
                raise ApiError(403, "forbidden", f"This action needs the '{role}' role; the token has '{token.role}'.")
            g.api_token = token
            if request.method == "POST" and "Idempotency-Key" in request.headers:
                answer = _begin_idempotent(request.headers["Idempotency-Key"])
                if answer is not None:
                    return answer
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _begin_idempotent(key: str) -> Response | None:
    """Reserve the key for this request, or answer what the first request with it answered."""
    key = key.strip()
    if not key or len(key) > idempotency.KEY_MAX:
        raise ApiError(400, "bad_request", "Idempotency-Key must be 1 to 255 characters.")
    fingerprint = idempotency.request_fingerprint(request.method, request.path, request.get_data())
    try:
        outcome = idempotency.begin_api_request(api_actor(), key, fingerprint)
    except idempotency.KeyReused as exc:
        raise ApiError(422, "idempotency_key_reused", str(exc)) from None
    except idempotency.KeyInFlight as exc:
        raise ApiError(409, "idempotency_key_in_flight", str(exc)) from None
    if isinstance(outcome, idempotency.StoredAnswer):
        resp = Response(outcome.body, status=outcome.status_code, content_type=outcome.content_type)
        resp.headers["Idempotent-Replayed"] = "true"
        return resp
    g.idempotency_record = outcome
    return None


def finish_idempotent(resp: Response) -> Response:
    """After a request that reserved an Idempotency-Key: keep its answer for repeats."""
    record_id = g.pop("idempotency_record", None)
    if record_id is not None:
        idempotency.finish_api_request(record_id, resp.status_code, resp.get_data(as_text=True),
                                       resp.content_type or "application/json")
    return resp


def api_token() -> ApiToken:
    """The token this request was authenticated with (set by `require_role`)."""
    return g.api_token


def api_actor() -> Actor:
    """The token's user, as the services want to be told who acts."""
    return Actor.of(api_token().user, via="api")


def json_body() -> dict:
    """The request's JSON object, or a 400/415 that says what is wrong."""
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", "Send a JSON body with 'Content-Type: application/json'.")
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "bad_request", "The body must be a JSON object.")
    return data
