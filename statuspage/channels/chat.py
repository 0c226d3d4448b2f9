"""What the team-chat channels share: the guarded POST, each robot's rate ceiling, status colours, cuts.

A chat subscriber is a robot's incoming-webhook URL (`Subscriber.address`) and,
where the provider signs, its secret (`Subscriber.webhook_secret`). Each kind
(channels/slack, teams, wecom, feishu, dingtalk) renders the notice into its
provider's JSON and reads its provider's answer; the request itself, the
outbound guard and the per-robot ceiling are here.

A robot over its provider's ceiling (WeCom 20 a minute) is not sent to: the
row goes back to the queue for when the window has room, so nothing is
dropped and the provider never answers "too fast".
"""
from __future__ import annotations

import json
import threading
import time
from contextlib import contextmanager
from hashlib import sha256

import requests
from flask_babel import gettext as _

from ..outbound import OutboundRefused, guarded_session, parse_networks
from ..ratelimit import redis_client
from .base import Channel, DeliveryError

# impact (or "resolved" / "maintenance") -> (hex colour, the provider's coarse names)
STATUS_COLOURS = {
    "resolved": "#2e7d32",
    "maintenance": "#1565c0",
    "none": "#1565c0",
    "minor": "#f9a825",
    "major": "#ef6c00",
    "critical": "#c62828",
}
# Coarse names for providers that take a theme rather than a colour (Teams, Feishu).
COLOUR_NAMES = {"#2e7d32": "good", "#1565c0": "accent", "#f9a825": "warning", "#ef6c00": "warning",
                "#c62828": "attention"}
FEISHU_TEMPLATES = {"#2e7d32": "green", "#1565c0": "blue", "#f9a825": "yellow", "#ef6c00": "orange",
                    "#c62828": "red"}


def status_colour(notice) -> str:
    """The colour a reader takes in at a glance: green once settled, else by the impact."""
    incident = notice.incident
    if notice.status in ("resolved", "postmortem", "completed"):
        return STATUS_COLOURS["resolved"]
    if getattr(incident, "kind", "incident") == "maintenance":
        return STATUS_COLOURS["maintenance"]
    return STATUS_COLOURS.get(getattr(incident, "impact", "none"), STATUS_COLOURS["none"])


def headline(notice) -> str:
    """"[Identified] API errors" — the state first, as in the email subject."""
    return f"[{notice.status_label}] {notice.incident_name}"


def facts(notice) -> list[tuple[str, str]]:
    """(label, value) pairs every rendering shows under the title."""
    out = [(_("Status"), notice.status_label)]
    if notice.show_impact:
        out.append((_("Impact"), notice.impact_label))
    return out


def cut(text: str, limit: int) -> str:
    """`text` in at most `limit` characters, cut at a whole word where one is near, with an ellipsis."""
    text = text or ""
    if len(text) <= limit:
        return text
    head = text[: max(0, limit - 1)]
    space = head.rfind(" ")
    if space > limit * 0.8:
        head = head[:space]
    return head.rstrip() + "…"


def cut_bytes(text: str, limit: int) -> str:
    """`text` in at most `limit` UTF-8 bytes, cut at a whole character (WeCom and DingTalk count bytes)."""
    data = (text or "").encode("utf-8")
    if len(data) <= limit:
        return text or ""
    ellipsis = "…".encode()
    head = data[: max(0, limit - len(ellipsis))].decode("utf-8", "ignore")
    return head.rstrip() + "…"


def message(body: dict, notice) -> dict:
    """The message a chat renderer returns: the JSON to post and the robot's secret (None in a preview)."""
    subscriber = notice.subscriber
    return {"json": body, "secret": subscriber.webhook_secret if subscriber is not None else None}


# -- per-robot ceilings --------------------------------------------------------------------------
_window_lock = threading.Lock()
_windows: dict[str, tuple[float, int]] = {}


def take_slot(app, key: str, limit: int, window: float) -> float:
    """Count one send to `key`; 0 when it fits in the current window, else the seconds until it will.

    Shared through Redis when configured (several workers send to one robot), else in this process.
    """
    bucket = int(time.time() // window)
    wait = (bucket + 1) * window - time.time()
    client = redis_client(app)
    if client is not None:
        full_key = f"statuspage:chat:{key}:{bucket}"
        try:
            pipe = client.pipeline()
            pipe.incr(full_key)
            pipe.expire(full_key, int(window) + 5)
            count = int(pipe.execute()[0])
            return 0.0 if count <= limit else wait
        except Exception:
            app.logger.warning("chat ceiling: Redis unavailable, counting in-process")
    with _window_lock:
        started, count = _windows.get(key, (bucket, 0))
        if started != bucket:
            started, count = bucket, 0
        if count >= limit:
            return wait
        _windows[key] = (started, count + 1)
    return 0.0


def give_back(app, key: str, window: float) -> None:
    """Return a slot `take_slot` counted: the request never reached the provider."""
    bucket = int(time.time() // window)
    client = redis_client(app)
    if client is not None:
        try:
            client.decr(f"statuspage:chat:{key}:{bucket}")
            return
        except Exception:
            app.logger.warning("chat ceiling: Redis unavailable, counting in-process")
    with _window_lock:
        started, count = _windows.get(key, (bucket, 0))
        if started == bucket and count > 0:
            _windows[key] = (started, count - 1)


def reset_slots() -> None:
    """Forget the in-process windows (tests)."""
    with _window_lock:
        _windows.clear()


class ChatChannel(Channel):
    """A robot's incoming webhook: POST the rendered JSON, read the provider's verdict.

    Subclasses set `name`, `render`, the ceilings (`rate_limits`: (sends, seconds) pairs per robot)
    and `check_answer(resp)`, which raises DeliveryError for an answer that is not a success.
    """

    rate_limits: tuple[tuple[int, float], ...] = ()
    user_agent = "statuspage-chat/1"

    def __init__(self, app):
        super().__init__(app)
        self.session = None
        self.networks = parse_networks(app.config.get("OUTBOUND_ALLOW_NETWORKS"))

    @contextmanager
    def batch(self):
        with guarded_session(self.networks) as session:
            self.session = session
            yield self
        self.session = None

    def robot_key(self, url: str) -> str:
        return f"{self.name}:{sha256(url.encode()).hexdigest()[:24]}"

    def reserve(self, url: str) -> list[tuple[str, float]]:
        """Count this send in each of the robot's windows; when one is full, queue the row again without sending."""
        taken: list[tuple[str, float]] = []
        for limit, window in self.rate_limits:
            key = f"{self.robot_key(url)}:{window}"
            wait = take_slot(self.app, key, limit, window)
            if wait:
                self.release(taken)
                raise DeliveryError(f"{self.name}: waiting for the robot's limit of {limit} per {window:g}s",
                                    retry_after=max(wait, 1.0))
            taken.append((key, window))
        return taken

    def release(self, taken: list[tuple[str, float]]) -> None:
        for key, window in taken:
            give_back(self.app, key, window)

    def prepare(self, url: str, body: dict, secret: str | None) -> tuple[str, dict]:
        """The URL and body actually sent (a signature may go in either)."""
        return url, body

    def send(self, delivery, message: dict) -> str | None:
        url = delivery.recipient
        taken = self.reserve(url)
        url, body = self.prepare(url, dict(message["json"]), message.get("secret"))
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": self.user_agent}
        session = self.session or guarded_session(self.networks)
        try:
            resp = session.post(url, data=data, headers=headers, timeout=10, allow_redirects=False)
        except OutboundRefused as exc:
            self.release(taken)
            self.app.logger.warning("%s %s refused: %s", self.name, delivery.id, exc)
            raise DeliveryError(f"{self.name} refused: the address is not allowed", permanent=True) from exc
        except requests.RequestException as exc:
            if isinstance(exc, requests.ConnectionError):
                # Most often nothing reached the robot (refused, no route): do not count it against its limit.
                self.release(taken)
            raise DeliveryError(f"{self.name} unreachable: {exc.__class__.__name__}") from exc
        return self.check_answer(resp)

    def check_answer(self, resp) -> str | None:
        raise NotImplementedError


def http_failure(name: str, resp, detail: str = "") -> DeliveryError:
    """The generic reading of an HTTP status: 408/425/429/5xx come back later, other 4xx never will."""
    retry_after = retry_after_seconds(resp.headers.get("Retry-After"))
    transient = resp.status_code in (408, 425, 429) or resp.status_code >= 500
    text = f"{name} answered HTTP {resp.status_code}" + (f" {detail}" if detail else "")
    return DeliveryError(text, permanent=not transient, retry_after=retry_after)


def retry_after_seconds(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def json_answer(resp) -> dict:
    try:
        data = resp.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


# A plain text message as each robot takes it: pages to responders, which are not notices.
_TEXT_BODIES = {
    "slack": lambda t: {"text": t},
    "teams": lambda t: {"text": t},
    "wecom": lambda t: {"msgtype": "text", "text": {"content": cut_bytes(t, 2000)}},
    "feishu": lambda t: {"msg_type": "text", "content": {"text": t}},
    "dingtalk": lambda t: {"msgtype": "text", "text": {"content": cut_bytes(t, 2000)}},
}


def plain_text_body(kind: str, text: str) -> dict:
    """The JSON a `kind` robot posts as a plain text message."""
    return _TEXT_BODIES.get(kind, _TEXT_BODIES["slack"])(text)
