"""Jinja filters and globals shared by every page and message."""
from __future__ import annotations

from datetime import date, datetime, timezone

from flask import Flask, current_app
from flask_babel import format_date, format_datetime, format_time, get_locale, lazy_gettext as _l, to_user_timezone

from .markdown import render_markdown

COMPONENT_STATUS_LABELS = {
    "operational": _l("Operational"),
    "degraded_performance": _l("Degraded performance"),
    "partial_outage": _l("Partial outage"),
    "major_outage": _l("Major outage"),
    "under_maintenance": _l("Under maintenance"),
    "unknown": _l("Unknown"),
}
INCIDENT_STATUS_LABELS = {
    "investigating": _l("Investigating"),
    "identified": _l("Identified"),
    "monitoring": _l("Monitoring"),
    "resolved": _l("Resolved"),
    "postmortem": _l("Postmortem"),
    "scheduled": _l("Scheduled"),
    "in_progress": _l("In progress"),
    "verifying": _l("Verifying"),
    "completed": _l("Completed"),
}
IMPACT_LABELS = {
    "none": _l("No impact"),
    "minor": _l("Minor"),
    "major": _l("Major"),
    "critical": _l("Critical"),
}
INDICATOR_LABELS = {
    "none": _l("All Systems Operational"),
    "minor": _l("Minor Service Outage"),
    "major": _l("Partial System Outage"),
    "critical": _l("Major System Outage"),
    "maintenance": _l("Service Under Maintenance"),
}

# Operator-facing words the admin pages show for stored codes.
DELIVERY_STATUS_LABELS = {
    "queued": _l("Queued"),
    "sending": _l("Sending"),
    "sent": _l("Sent"),
    "delivered": _l("Delivered"),
    "failed": _l("Failed"),
    "suppressed": _l("Suppressed"),
    "logged": _l("Logged, not sent"),
}
ROLE_LABELS = {"viewer": _l("Viewer"), "responder": _l("Responder"), "admin": _l("Administrator")}
VISIBILITY_LABELS = {"public": _l("Public"), "tenants": _l("Tenants only"), "drill": _l("Drill")}
CHANNEL_LABELS = {"email": _l("Email"), "sms": _l("SMS"), "webhook": _l("Webhook"), "log": _l("Log only"),
                  "slack": "Slack", "teams": "Microsoft Teams", "wecom": _l("WeCom"), "feishu": _l("Feishu"),
                  "dingtalk": _l("DingTalk")}


def locale_code() -> str:
    loc = get_locale()
    if loc is None:
        return "en"
    return "zh_Hans" if loc.language == "zh" else str(loc.language)


def html_lang() -> str:
    return "zh-Hans" if locale_code() == "zh_Hans" else "en"


_PLAIN_SPACES = {0x202F: " ", 0x00A0: " "}


def fmt_datetime(value: datetime | None, fmt: str = "status") -> str:
    """In the viewer's zone and locale. "status": date, hours:minutes and the zone,
    e.g. "Nov 22, 2026 4:05 PM +0800" / "2026年11月22日 16:05 +0800"; any other
    value is a Babel format ("short", "medium", "long", or a pattern)."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    if fmt == "status":
        text = f"{format_date(value, 'medium')} {format_time(value, 'short')} {format_datetime(value, 'z')}"
    else:
        text = format_datetime(value, fmt)
    # CLDR puts U+202F before "AM"; one such character turns an SMS into UCS-2.
    return text.translate(_PLAIN_SPACES)


def fmt_date(value: datetime | date | None, fmt: str = "medium") -> str:
    """A date (a datetime is first moved into the viewer's zone)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        value = to_user_timezone(value)
    return format_date(value, fmt).translate(_PLAIN_SPACES)


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["dt"] = fmt_datetime
    app.jinja_env.filters["day"] = fmt_date
    app.jinja_env.filters["component_status"] = lambda s: COMPONENT_STATUS_LABELS.get(s, s)
    app.jinja_env.filters["incident_status"] = lambda s: INCIDENT_STATUS_LABELS.get(s, s)
    app.jinja_env.filters["impact_label"] = lambda s: IMPACT_LABELS.get(s, s)
    app.jinja_env.filters["delivery_status"] = lambda s: DELIVERY_STATUS_LABELS.get(s, s)
    app.jinja_env.filters["role_label"] = lambda s: ROLE_LABELS.get(s, s)
    app.jinja_env.filters["channel_label"] = lambda s: CHANNEL_LABELS.get(s, s)
    app.jinja_env.filters["visibility_label"] = lambda s: VISIBILITY_LABELS.get(s, s)
    app.jinja_env.filters["isoformat"] = lambda d: d.isoformat() if d else ""

    @app.context_processor
    def _globals():
        return {
            "site_name": current_app.config.get("SITE_NAME", "Status"),
            "public_base_url": current_app.config["PUBLIC_BASE_URL"],
            "locale_code": locale_code,
            "html_lang": html_lang,
            "indicator_labels": INDICATOR_LABELS,
            "role_labels": ROLE_LABELS,
        }
