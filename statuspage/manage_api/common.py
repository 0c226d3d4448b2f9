"""What every /v1 module shares: OAuth token auth by role, the rate limit, Statuspage's error body,
request bodies (JSON or form-encoded `incident[name]=...`), pagination, and the page id in the path."""
from __future__ import annotations

import re
from functools import wraps

from flask import Response, current_app, g, jsonify, request

from ..models import ROLE_RANK, ApiToken
from ..ratelimit import hit
from ..services import idempotency
from ..services.accounts import authenticate_token
from ..services.audit import Actor
from ..services.page_profile import page_id
from ..settings import setting

# The v2 public API names the main page "main"; a script that read that id may use it here too.
PAGE_ALIASES = ("main",)
DEFAULT_RATE_PER_MINUTE = 60
_FORM_KEY = re.compile(r"\[([^\[\]]*)\]")


class ManageApiError(Exception):
    """Answered as Statuspage answers errors: {"error": "...", "message": "..."} with the status."""

    def __init__(self, status: int, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}

    def response(self):
        resp = jsonify({"error": self.message, "message": self.message})
        resp.status_code = self.status
        resp.headers.update(self.headers)
        return resp


def not_found(what: str = "resource") -> ManageApiError:
    return ManageApiError(404, f"The requested {what} could not be found.")


def require_role(role: str):
    """`Authorization: OAuth <token>` (or `?api_key=`) with an admin API token whose role is at least `role`."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            token = _authenticate()
            _check_rate(token)
            effective = min(ROLE_RANK.get(token.role, -1), ROLE_RANK.get(token.user.role, -1))
            if effective < ROLE_RANK[role]:
                raise ManageApiError(403, f"This action needs the '{role}' role; the token has '{token.role}'.")
            g.manage_token = token
            _check_page(kwargs.pop("page_id", None))
            if request.method == "POST" and request.headers.get("Idempotency-Key") is not None:
                replay = _begin_idempotent(request.headers["Idempotency-Key"])
                if replay is not None:
                    return replay
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _authenticate() -> ApiToken:
    scheme, _sep, raw = request.headers.get("Authorization", "").partition(" ")
    raw = raw.strip() if scheme.lower() in ("oauth", "bearer") else ""
    raw = raw or (request.args.get("api_key") or "").strip()
    token = authenticate_token(raw) if raw else None
    if token is None:
        raise ManageApiError(401, "Could not authenticate: send 'Authorization: OAuth <api key>'.",
                             {"WWW-Authenticate": 'OAuth realm="statuspage"'})
    return token


def _check_rate(token: ApiToken) -> None:
    """Statuspage's limit is per token over a minute; over it is 429 (Statuspage also answers 420)."""
    per_minute = int(setting("MANAGE_API_RATE_PER_MINUTE", DEFAULT_RATE_PER_MINUTE))
    if per_minute <= 0 or not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    if not hit(current_app, f"manage-api:{token.id}", per_minute, 60):
        raise ManageApiError(429, f"Rate limit exceeded: {per_minute} requests a minute per API key.",
                             {"Retry-After": "60"})


def _check_page(given: str | None) -> None:
    if given is not None and given not in PAGE_ALIASES and given != page_id():
        raise not_found("page")


def _begin_idempotent(key: str) -> Response | None:
    """The admin API's rule, through the same service: same key and body answer the first answer."""
    key = key.strip()
    if not key or len(key) > idempotency.KEY_MAX:
        raise ManageApiError(400, "Idempotency-Key must be 1 to 255 characters.")
    fingerprint = idempotency.request_fingerprint(request.method, request.path, request.get_data())
    try:
        outcome = idempotency.begin_api_request(actor(), key, fingerprint)
    except idempotency.KeyReused as exc:
        raise ManageApiError(422, str(exc)) from None
    except idempotency.KeyInFlight as exc:
        raise ManageApiError(409, str(exc)) from None
    if isinstance(outcome, idempotency.StoredAnswer):
        resp = Response(outcome.body, status=outcome.status_code, content_type=outcome.content_type)
        resp.headers["Idempotent-Replayed"] = "true"
        return resp
    g.manage_idempotency_record = outcome
    return None


def finish_idempotent(resp: Response) -> Response:
    record_id = g.pop("manage_idempotency_record", None)
    if record_id is not None:
        idempotency.finish_api_request(record_id, resp.status_code, resp.get_data(as_text=True),
                                       resp.content_type or "application/json")
    return resp


def token() -> ApiToken:
    return g.manage_token


def token_is_admin() -> bool:
    t = token()
    return min(ROLE_RANK.get(t.role, -1), ROLE_RANK.get(t.user.role, -1)) >= ROLE_RANK["admin"]


def actor() -> Actor:
    return Actor.of(token().user, via="api")


def body() -> dict:
    """The request body as a dict: JSON, or form fields with Rails-style keys (`incident[components][7]=x`)."""
    if request.is_json:
        data = request.get_json(silent=True)
        if data is None and request.get_data():
            raise ManageApiError(400, "The body is not valid JSON.")
        if data is not None and not isinstance(data, dict):
            raise ManageApiError(400, "The body must be a JSON object.")
        return data or {}
    return nested_form(request.form.items(multi=True))


def nested_form(pairs) -> dict:
    out: dict = {}
    for key, value in pairs:
        head = key.split("[", 1)[0]
        parts = [head] + _FORM_KEY.findall(key[len(head):])
        appends = len(parts) > 1 and parts[-1] == ""
        if appends:
            parts = parts[:-1]
        node = out
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        if appends:
            existing = node.get(parts[-1])
            if not isinstance(existing, list):
                existing = node[parts[-1]] = []
            existing.append(value)
        else:
            node[parts[-1]] = value
    return out


def wrapped(data: dict, key: str) -> dict:
    """Statuspage nests the object under its name (`{"incident": {...}}`); a bare object is taken as it is."""
    inner = data.get(key)
    if inner is None:
        return {k: v for k, v in data.items() if k != key}
    if not isinstance(inner, dict):
        raise ManageApiError(400, f"'{key}' must be an object.")
    return inner


def as_bool(value, field: str) -> bool:
    """JSON true/false, or the strings form posts carry ("true", "t", "1", "false", "f", "0")."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "t", "1", "yes", "on"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("false", "f", "0", "no", "off", ""):
        return False
    raise ManageApiError(422, f"{field} must be true or false.")


def as_ids(value, field: str) -> list[int]:
    """String ids (Statuspage's) or numbers, as our integer ids; an id that cannot be ours is refused."""
    if value is None:
        return []
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list):
        raise ManageApiError(422, f"{field} must be a list of ids.")
    out = []
    for item in value:
        number = as_id(item)
        if number is None:
            raise ManageApiError(422, f"{field}: {str(item)[:40]!r} is not a known id.")
        out.append(number)
    return list(dict.fromkeys(out))


def as_id(value) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**31 else None


def page_window(default_per_page: int = 100, maximum: int = 100) -> tuple[int, int]:
    """Statuspage's `page` (1-based) and `per_page` (or `limit`), bounded."""
    page = _positive("page", 1)
    per_page = min(_positive("per_page", 0) or _positive("limit", default_per_page), maximum)
    return page, per_page


def paginate(items: list, default_per_page: int = 100, maximum: int = 100) -> list:
    """One page of a list already in order."""
    page, per_page = page_window(default_per_page, maximum)
    start = (page - 1) * per_page
    return items[start:start + per_page]


def wanted_rows(default_per_page: int = 100, maximum: int = 100) -> int:
    """How many rows from the start a list needs to fill the requested page."""
    page, per_page = page_window(default_per_page, maximum)
    return page * per_page


def _positive(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    number = as_id(raw)
    if number is None:
        raise ManageApiError(400, f"{name} must be a positive whole number.")
    return number
