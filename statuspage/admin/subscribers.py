"""Subscribers: look one up among many, see what reached them, unsubscribe, subscribe again, trash, restore."""
from __future__ import annotations

import io

from flask import Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _

from ..channels import SUBSCRIBER_CHANNELS
from ..csv_safe import SafeWriter
from ..services import catalog, subscriber_admin as service
from ..services.subscriptions import get_subscriber, set_subscriber_deleted
from ..services.validation import ValidationError, id_value
from . import bp
from .access import acting, require_role, role_required


def _filters() -> service.SubscriberFilters:
    args = request.args
    tenant = args.get("tenant", "")
    return service.SubscriberFilters(
        text=(args.get("q") or "")[:200],
        channel=args.get("channel") if args.get("channel") in SUBSCRIBER_CHANNELS else "",
        state=args.get("state") if args.get("state") in service.SUBSCRIBER_STATES else "",
        tenant_id=id_value(tenant), main_page_only=tenant == "main",
        component_id=id_value(args.get("component")))


@bp.get("/subscribers")
@role_required("viewer")
def subscribers():
    if request.args.get("view") == "counts":
        # A count over every subscriber costs a scan at a million: its own page, not every search's.
        return render_template("admin/subscriber_counts.html", counts=service.counts_per_tenant())
    filters = _filters()
    if request.args.get("format") == "csv":
        require_role("admin")
        return _csv(filters)
    page = service.find_subscribers(filters, before=id_value(request.args.get("before")))
    args = {k: v for k, v in request.args.items() if k != "before" and v}
    return render_template("admin/subscribers.html", page=page, filters=filters, args=args,
                           channels=SUBSCRIBER_CHANNELS, states=service.SUBSCRIBER_STATES,
                           tenants=catalog.live_tenants(), components=catalog.live_components())


def _csv(filters: service.SubscriberFilters) -> Response:
    subscribers = service.export_rows(filters, actor=acting())

    def rows():
        out = io.StringIO()
        writer = SafeWriter(out)
        writer.writerow(["id", "channel", "address", "tenant", "confirmed", "opted_out", "locale", "created_at"])
        for n, sub in enumerate(subscribers, 1):
            writer.writerow([sub.id, sub.channel, sub.address, sub.tenant.slug if sub.tenant else "",
                             int(sub.confirmed), int(sub.opted_out), sub.locale,
                             sub.created_at.isoformat() if sub.created_at else ""])
            if n % 500 == 0:
                yield out.getvalue()
                out.seek(0)
                out.truncate()
        yield out.getvalue()

    return Response(stream_with_context(rows()), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="subscribers.csv"'})


def _subscriber_or_404(subscriber_id):
    sub = get_subscriber(id_value(subscriber_id) or 0)
    if sub is None:
        abort(404)
    return sub


@bp.get("/subscribers/<subscriber_id>")
@role_required("viewer")
def subscriber_detail(subscriber_id):
    sub = _subscriber_or_404(subscriber_id)
    return render_template("admin/subscriber_detail.html", sub=sub, deliveries=service.recent_deliveries(sub),
                           errors={})


@bp.post("/subscribers/<subscriber_id>")
@role_required("responder")
def subscriber_action(subscriber_id):
    sub = _subscriber_or_404(subscriber_id)
    action = request.form.get("action")
    try:
        if action == "unsubscribe":
            service.set_subscriber_opted_out(sub, True, actor=acting(), reason=request.form.get("reason", ""))
            flash(_("Unsubscribed: nothing more is sent to %(address)s.", address=sub.address), "info")
        elif action == "resubscribe":
            service.set_subscriber_opted_out(sub, False, actor=acting(), reason=request.form.get("reason", ""))
            flash(_("Subscribed again."), "info")
        elif action == "resend":
            if service.resend_confirmation(sub, actor=acting()):
                flash(_("Confirmation sent again."), "info")
            else:
                flash(_("Only a pending email or SMS subscriber can be sent a confirmation."), "error")
        elif action in ("delete", "restore"):
            require_role("admin")
            set_subscriber_deleted(sub, action == "delete", acting())
            flash(_("Subscriber moved to the trash.") if action == "delete" else _("Restored."), "info")
        else:
            abort(400)
    except ValidationError as exc:
        return render_template("admin/subscriber_detail.html", sub=sub, deliveries=service.recent_deliveries(sub),
                               errors=exc.errors), 422
    return redirect(url_for("admin.subscriber_detail", subscriber_id=sub.id))
