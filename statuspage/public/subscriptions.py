"""Subscribe, confirm, manage, unsubscribe: thin views over services.subscriptions."""
from __future__ import annotations

import time

from flask import Blueprint, current_app, jsonify, redirect, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from ..extensions import csrf
from ..models import Tenant
from ..services import subscriptions as subs
from ..services.tenants import access_cookie_name, find_tenant_by_slug, verify_access
from ..templating import locale_code
from .access import viewer_is_admin

bp = Blueprint("subscriptions", __name__)


def _form_page(status: int = 200, error: str | None = None, field: str | None = None):
    slug = request.values.get("tenant") or None
    tenant = find_tenant_by_slug(slug) if slug else None
    # A private tenant's name and components are shown only to someone who may see its page.
    if tenant is not None and tenant.private and not _may_see(tenant):
        tenant = None  # the form still carries the slug the visitor sent (values.tenant)
    return render_template("subscriptions/subscribe.html", components=subs.live_components(tenant), tenant=tenant,
                           error=error, error_field=field, values=request.values), status


def _may_see(tenant: Tenant, offered: str | None = None) -> bool:
    return (viewer_is_admin() or verify_access(tenant, offered or request.values.get("access"))
            or verify_access(tenant, request.cookies.get(access_cookie_name(tenant))))


@bp.get("/subscribe")
def subscribe_form():
    return _form_page()


@bp.post("/subscribe")
@csrf.exempt
def subscribe():
    """Form or JSON. JSON (no cookies, needs a CORS preflight) skips CSRF; the HTML form keeps it."""
    started = time.monotonic()
    as_json = request.is_json
    if not as_json and current_app.config.get("WTF_CSRF_ENABLED", True) and not _posted_from_our_pages():
        try:
            csrf.protect()
        except CSRFError:
            # Nothing is stored; the visitor confirms on a form that carries a token.
            return _form_page(400, _("Please check the details and press Subscribe again."))
    data = (request.get_json(silent=True) or {}) if as_json else request.form
    if as_json and not isinstance(data, dict):
        return _json_error(subs.SubscriptionError(_("The body must be a JSON object.")))
    component_ids = data.get("component_ids") if as_json else request.form.getlist("component_ids")
    if isinstance(component_ids, (str, int)):
        component_ids = [component_ids]
    try:
        # A private tenant's notices go only to people holding its link; to anyone else it does not exist.
        offered = _str(data.get("access"))
        result = subs.subscribe(email=_str(data.get("email")), phone=_str(data.get("phone")),
                                tenant_slug=_str(data.get("tenant")), component_ids=component_ids,
                                locale=_str(data.get("locale")) or locale_code(), ip=request.remote_addr,
                                may_see=lambda tenant: _may_see(tenant, offered))
    except subs.SubscriptionError as exc:
        if as_json:
            return _json_error(exc)
        return _form_page(exc.status, exc.message, exc.field)
    # A new address costs an insert, a queued message and a wake-up; a known one costs a lookup.
    # Answer both after the same floor so the timing does not tell who is subscribed.
    floor = float(current_app.config.get("SUBSCRIBE_MIN_RESPONSE_SECONDS") or 0)
    time.sleep(max(0.0, floor - (time.monotonic() - started)))
    if as_json:
        body = {"status": "pending", "channel": result.channel, "address": result.address,
                "message": _pending_message(result.channel)}
        if result.confirm_url:
            body["confirm_url"] = result.confirm_url
        return jsonify(body), 202
    if result.confirm_url:
        return redirect(result.confirm_url, code=303)
    tenant = find_tenant_by_slug(_str(data.get("tenant"))) if data.get("tenant") else None
    return render_template("subscriptions/pending.html", message=_pending_message(result.channel), tenant=tenant,
                           base_path=f"/t/{tenant.slug}" if tenant else ""), 200


def _posted_from_our_pages() -> bool:
    """The browser says the form was posted from our own origin (OWASP's standard-header check).

    The cached status page carries no per-visitor CSRF token (so every reader gets the same bytes);
    browsers send `Origin` with every form POST and a forging site cannot set it to ours. Without
    the header, the token is required as usual.
    """
    origin = request.headers.get("Origin")
    if not origin or origin == "null":
        return False
    ours = {f"{request.scheme}://{request.host}",
            "/".join(current_app.config["PUBLIC_BASE_URL"].split("/")[:3])}
    return origin.rstrip("/") in ours


def _str(value) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _pending_message(channel: str) -> str:
    if channel == "email":
        return _("Check your inbox: we sent a link to confirm the subscription. It expires in 48 hours.")
    return _("We sent a 6-digit code by text message. Enter it to confirm the subscription.")


def _json_error(exc: subs.SubscriptionError):
    code = {429: "rate_limited", 410: "expired", 404: "not_found"}.get(exc.status, "invalid")
    body = {"error": {"code": code, "message": exc.message}}
    if exc.field:
        body["error"]["field"] = exc.field
    return jsonify(body), exc.status


@bp.get("/subscriptions/confirm/<token>")
def confirm_page(token: str):
    """A GET only shows the button: mail gateways that follow every link must not confirm for the reader."""
    try:
        sub = subs.subscriber_to_confirm(token)
    except subs.SubscriptionError as exc:
        return render_template("subscriptions/message.html", title=_("Subscription"), message=exc.message), exc.status
    if sub is None:
        return _confirm_code(token)
    return render_template("subscriptions/confirm.html", subscriber=sub, token=token, tenant=sub.tenant,
                           base_path=f"/t/{sub.tenant.slug}" if sub.tenant else "")


@bp.post("/subscriptions/confirm/<token>")
def confirm(token: str):
    try:
        sub = subs.confirm(token)
    except subs.SubscriptionError as exc:
        return render_template("subscriptions/message.html", title=_("Subscription"), message=exc.message), exc.status
    if sub is None:
        return _confirm_code(token)
    return render_template("subscriptions/confirmed.html", subscriber=sub, tenant=sub.tenant,
                           base_path=f"/t/{sub.tenant.slug}" if sub.tenant else "")


def _confirm_code(token: str):
    if request.method == "GET":
        return render_template("subscriptions/confirm_code.html", token=token, error=None)
    try:
        sub = subs.confirm_sms_code(token, request.form.get("code", ""))
    except subs.SubscriptionError as exc:
        return render_template("subscriptions/confirm_code.html", token=token, error=exc.message), exc.status
    return render_template("subscriptions/confirmed.html", subscriber=sub, tenant=sub.tenant,
                           base_path=f"/t/{sub.tenant.slug}" if sub.tenant else "")


@bp.get("/unsubscribe/<token>")
def unsubscribe_page(token: str):
    """A GET only shows the button: mail scanners follow links."""
    sub = subs.subscriber_by_token(token)
    if sub is None:
        return _unknown_link()
    return render_template("subscriptions/unsubscribe.html", subscriber=sub, token=token)


@bp.post("/unsubscribe/<token>")
@csrf.exempt
def unsubscribe(token: str):
    """RFC 8058 one-click: the mail provider POSTs List-Unsubscribe=One-Click without cookies."""
    sub = subs.subscriber_by_token(token)
    if sub is None:
        return _unknown_link()
    subs.unsubscribe(sub)
    if request.form.get("List-Unsubscribe") == "One-Click" or request.accept_mimetypes.best == "application/json":
        return jsonify({"status": "unsubscribed"}), 200
    return render_template("subscriptions/unsubscribed.html", subscriber=sub, token=token)


@bp.route("/subscriptions/manage/<token>", methods=["GET", "POST"])
def manage(token: str):
    sub = subs.subscriber_by_token(token)
    if sub is None or sub.deleted_at is not None:
        return _unknown_link()
    error = saved = None
    status = 200
    if request.method == "POST":
        try:
            ids = [] if request.form.get("all_components") else request.form.getlist("component_ids")
            subs.update_preferences(sub, ids, request.form.get("locale"), resubscribe=bool(request.form.get("resubscribe")))
            saved = _("Your choices are saved.")
        except subs.SubscriptionError as exc:
            error, status = exc.message, exc.status
    chosen = {c.id for c in sub.components}
    return render_template("subscriptions/manage.html", subscriber=sub, token=token, chosen=chosen,
                           components=subs.live_components(sub.tenant), error=error, saved=saved), status


def _unknown_link():
    return render_template("subscriptions/message.html", title=_("Subscription"),
                           message=_("This link is not valid. It may be mistyped or the subscription was removed.")), 404
