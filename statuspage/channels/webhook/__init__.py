"""A JSON POST to the subscriber's own endpoint, signed with HMAC-SHA256."""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from contextlib import contextmanager

import requests

from ...outbound import OutboundRefused, guarded_session, parse_networks
from ..base import Channel, DeliveryError
from .render import render_notice

SIGNATURE_HEADER = "X-Statuspage-Signature"
TIMESTAMP_HEADER = "X-Statuspage-Timestamp"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """hex HMAC-SHA256 of "<timestamp>.<body>", so a replayed body with a new timestamp fails."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class WebhookChannel(Channel):
    name = "webhook"
    render = staticmethod(render_notice)

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

    def send(self, delivery, message: dict) -> str | None:
        body = json.dumps(message["json"], ensure_ascii=False, separators=(",", ":")).encode()
        timestamp = str(int(time.time()))
        secret = message.get("secret") or ""
        headers = {"Content-Type": "application/json", "User-Agent": "statuspage-webhook/1",
                   TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: sign(secret, timestamp, body),
                   "X-Statuspage-Delivery": str(delivery.id)}
        session = self.session or guarded_session(self.networks)
        try:
            resp = session.post(delivery.recipient, data=body, headers=headers, timeout=10, allow_redirects=False)
        except OutboundRefused as exc:
            # The detail (which address) is for admins; the row says only that it was refused.
            self.app.logger.warning("webhook %s refused: %s", delivery.id, exc)
            raise DeliveryError("webhook refused: the address is not allowed", permanent=True) from exc
        except requests.RequestException as exc:
            raise DeliveryError(f"webhook unreachable: {exc.__class__.__name__}") from exc
        if 200 <= resp.status_code < 300:
            return resp.headers.get("X-Request-Id")
        retry_after = _retry_after(resp.headers.get("Retry-After"))
        transient = resp.status_code in (408, 425, 429) or resp.status_code >= 500
        raise DeliveryError(f"webhook answered HTTP {resp.status_code}", permanent=not transient,
                            retry_after=retry_after)


def _retry_after(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None
