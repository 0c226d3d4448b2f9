"""One HTTP fetch of an upstream feed: conditional, bounded in time and size.

Real status feeds misbehave: they redirect in circles, stall, send gigabytes,
or answer with the wrong content type. Every one of those ends here as a
`Fetched` with an error string, never as a hang or an exception upstream.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import requests
from flask import current_app

from ..outbound import Network, OutboundRefused, allowed_networks, guarded_session

DEFAULTS = {
    "UPSTREAM_CONNECT_TIMEOUT": 5.0,
    "UPSTREAM_READ_TIMEOUT": 10.0,
    # A stalled server that drips a byte per read timeout would otherwise never end.
    "UPSTREAM_TOTAL_TIMEOUT": 30.0,
    "UPSTREAM_MAX_BYTES": 2 * 1024 * 1024,
    "UPSTREAM_MAX_REDIRECTS": 5,
}


@dataclass(frozen=True)
class Limits:
    """What one fetch may cost; read from the app config once, usable from any thread."""

    connect_timeout: float
    read_timeout: float
    total_timeout: float
    max_bytes: int
    max_redirects: int
    user_agent: str
    networks: tuple[Network, ...] = ()

    @classmethod
    def from_config(cls) -> "Limits":
        def get(name):
            return current_app.config.get(name, DEFAULTS[name])

        return cls(connect_timeout=float(get("UPSTREAM_CONNECT_TIMEOUT")),
                   read_timeout=float(get("UPSTREAM_READ_TIMEOUT")),
                   total_timeout=float(get("UPSTREAM_TOTAL_TIMEOUT")), max_bytes=int(get("UPSTREAM_MAX_BYTES")),
                   max_redirects=int(get("UPSTREAM_MAX_REDIRECTS")),
                   user_agent=f"statuspage-upstream/1.0 (+{current_app.config.get('PUBLIC_BASE_URL', '')})",
                   networks=allowed_networks())


@dataclass
class Fetched:
    status: int | None = None
    body: bytes = b""
    headers: dict = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    truncated: bool = False
    error: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and (self.status == 304 or 200 <= self.status < 300)


def fetch(url: str, etag: str | None, last_modified: str | None, limits: Limits) -> Fetched:
    """GET `url` with If-None-Match / If-Modified-Since; the body is capped at `limits.max_bytes`."""
    headers = {
        "User-Agent": limits.user_agent,
        "Accept": "application/rss+xml, application/atom+xml, application/json, application/xml;q=0.9, */*;q=0.5",
        "Accept-Encoding": "gzip, deflate",
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    timeout = (limits.connect_timeout, limits.read_timeout)
    # The guard checks the address of the first request and of every redirect at connect time.
    with guarded_session(limits.networks) as session:
        session.max_redirects = limits.max_redirects
        try:
            resp = session.get(url, headers=headers, timeout=timeout, stream=True, allow_redirects=True)
        except OutboundRefused as exc:
            return Fetched(error=f"refused: {_short(exc)}")
        except requests.TooManyRedirects:
            return Fetched(error=f"too many redirects (more than {session.max_redirects})")
        except requests.Timeout as exc:
            return Fetched(error=f"timed out: {_short(exc)}")
        except requests.RequestException as exc:
            return Fetched(error=f"request failed: {_short(exc)}")
        with resp:
            result = Fetched(status=resp.status_code, headers={k.lower(): v for k, v in resp.headers.items()},
                             etag=resp.headers.get("ETag"), last_modified=resp.headers.get("Last-Modified"))
            if resp.status_code == 304:
                return result
            if not 200 <= resp.status_code < 300:
                result.error = f"HTTP {resp.status_code} {resp.reason or ''}".strip()
                return result
            _read_capped(resp, result, limits)
            return result


def _read_capped(resp: requests.Response, result: Fetched, limits: Limits) -> None:
    cap = limits.max_bytes
    deadline = time.monotonic() + limits.total_timeout
    chunks: list[bytes] = []
    size = 0
    try:
        # iter_content decodes gzip, so the cap bounds the inflated size too (no gzip bombs).
        for chunk in resp.iter_content(chunk_size=64 * 1024):
            chunks.append(chunk)
            size += len(chunk)
            if size > cap:
                result.truncated = True
                break
            if time.monotonic() > deadline:
                result.error = f"timed out: the body took longer than {limits.total_timeout} s"
                return
    except requests.RequestException as exc:
        result.error = f"reading the body failed: {_short(exc)}"
        return
    result.body = b"".join(chunks)[:cap]


def _short(exc: Exception) -> str:
    text = str(exc) or exc.__class__.__name__
    return text if len(text) <= 300 else text[:297] + "..."
