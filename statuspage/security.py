"""Security headers on every response (a strict CSP with no inline script), and a small body limit
for requests anyone may send."""
from __future__ import annotations

from flask import Flask, abort, request

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")
EMBEDDABLE = ("/embed", "/badge.svg")


def is_embeddable(path: str) -> bool:
    """The badge and widget, for the main page and under /t/<slug>/, may sit on other sites."""
    return path.startswith(EMBEDDABLE) or (path.startswith("/t/") and path.endswith(EMBEDDABLE))


def anonymous_request() -> bool:
    """No bearer or OAuth header and not an admin page: anyone on the internet may send it."""
    return not (request.headers.get("Authorization") or request.path.startswith("/admin"))


def register_security_headers(app: Flask) -> None:
    @app.before_request
    def _limit_anonymous_bodies():
        # MAX_CONTENT_LENGTH is sized for admin imports; what anyone may send is far smaller.
        limit = app.config.get("ANONYMOUS_MAX_BODY")
        if not limit or request.method in ("GET", "HEAD", "OPTIONS") or not anonymous_request():
            return None
        if request.path.startswith("/integrations/"):
            # Monitoring posts whole alert groups; that view checks the secret URL before it reads
            # the body, and then holds the body to INTEGRATION_MAX_BODY.
            return None
        if request.content_length is not None and request.content_length > limit:
            abort(413)
        request.max_content_length = limit  # a chunked body without a length stops there too
        return None

    @app.after_request
    def _headers(resp):
        h = resp.headers
        embeddable = is_embeddable(request.path)
        h.setdefault("Content-Security-Policy", CSP.replace("frame-ancestors 'none'", "frame-ancestors *") if embeddable else CSP)
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        if not embeddable:
            h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.is_secure:
            h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if request.path.startswith("/admin") or request.path.startswith("/api/admin"):
            h["Cache-Control"] = "no-store"
        return resp
