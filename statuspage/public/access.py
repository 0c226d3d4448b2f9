"""Which page a request is for and whether it may see it (shared by pages, feeds and API v2)."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from flask import Response, abort, current_app, redirect, request
from flask_login import current_user

from ..models import Tenant
from ..services import tenants as tenant_access
from ..services.visibility import Viewer


@dataclass(frozen=True)
class Scope:
    """The page being served: the viewer, its tenant, and how to build its links."""

    viewer: Viewer
    tenant: Tenant | None = None
    # A fresh, valid ?access= token that should be remembered in a cookie.
    granted_token: str | None = None

    @property
    def private(self) -> bool:
        """Answers that must not sit in shared caches: private tenants and admins' views."""
        return self.viewer.is_admin or bool(self.tenant and self.tenant.private)

    @property
    def base_path(self) -> str:
        return f"/t/{self.tenant.slug}" if self.tenant else ""

    def absolute(self, path: str = "/") -> str:
        return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + self.base_path + path

    @property
    def access_token(self) -> str:
        """The private tenant's token, for forms that leave the page's cookie path (subscribe)."""
        return tenant_access.access_token(self.tenant) if self.tenant is not None and self.tenant.private else ""

    @property
    def feed_query(self) -> str:
        """Feed readers carry no cookies: links inside a private tenant's feed keep the access token."""
        if self.tenant is not None and self.tenant.private:
            return "?" + urlencode({"access": tenant_access.access_token(self.tenant)})
        return ""


def viewer_is_admin() -> bool:
    try:
        return bool(current_user and current_user.is_authenticated)
    except Exception:  # no session machinery (e.g. a broken cookie): treat as the public
        return False


def resolve_scope(slug: str | None) -> Scope:
    """The scope for `/` (slug None) or `/t/<slug>/...`; a 404 for unknown or locked tenant pages.

    A private tenant without valid access gets exactly the 404 an unknown slug gets.
    """
    is_admin = viewer_is_admin()
    if slug is None:
        return Scope(Viewer(None, is_admin))
    try:
        tenant = tenant_access.find_tenant_for_page(slug)
    except tenant_access.DatabaseUnavailable:
        abort(Response("Service temporarily unavailable. Please retry shortly.\n", 503, mimetype="text/plain",
                       headers={"Retry-After": "10"}))
    if tenant is None:
        abort(404)
    granted = None
    if tenant.private and not is_admin:
        offered = request.args.get("access")
        if offered and tenant_access.verify_access(tenant, offered):
            granted = offered
        elif tenant_access.verify_subscriber_link(tenant, request.args.get("s")):
            # A notice's link opens the page itself; it never turns into the tenant-wide cookie.
            pass
        elif not tenant_access.verify_access(tenant, request.cookies.get(tenant_access.access_cookie_name(tenant))):
            abort(404)
    return Scope(Viewer(tenant.id, is_admin), tenant, granted)


def remember_access(scope: Scope):
    """Redirect to the same page without ?access=, with the access kept in a per-tenant cookie.

    Keeping the token out of the address bar keeps it out of history, Referer and screenshots.
    """
    args = request.args.to_dict(flat=False)
    args.pop("access", None)
    target = request.path + ("?" + urlencode(args, doseq=True) if args else "")
    resp = redirect(target, code=303)
    resp.set_cookie(tenant_access.access_cookie_name(scope.tenant), scope.granted_token,
                    max_age=180 * 86400, path=f"/t/{scope.tenant.slug}/", httponly=True, samesite="Lax",
                    secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")))
    resp.headers["Cache-Control"] = "no-store"
    return resp
