"""Words for the console: subscriber states, audit actions and the objects they touched, and where each lives."""
from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l

from . import bp

SUBSCRIBER_STATE_LABELS = {
    "pending": _l("Pending confirmation"), "confirmed": _l("Confirmed"), "opted_out": _l("Opted out"),
    "bouncing": _l("Bouncing (recent failed deliveries)"), "deleted": _l("In the trash"),
}

# An audit action as a person would say it; an action missing here shows as recorded.
AUDIT_ACTION_LABELS = {
    "create": _l("Created"), "update": _l("Changed"), "delete": _l("Moved to the trash"),
    "restore": _l("Restored from the trash"), "purge": _l("Deleted for good"),
    "post_update": _l("Posted an update"), "publish": _l("Published a draft"), "postmortem": _l("Wrote the postmortem"),
    "metadata": _l("Changed the incident's details"), "send_test": _l("Sent a test to themselves"),
    "retry_failed": _l("Retried failed deliveries"), "reorder": _l("Reordered"),
    "bulk_status": _l("Changed the status (bulk)"), "rotate_access": _l("Made a new access link"),
    "import": _l("Imported a configuration"), "revoke": _l("Revoked"),
    "login": _l("Signed in"), "logout_everywhere": _l("Signed out everywhere"),
    "change_password": _l("Changed their password"), "reset_password": _l("Reset a password"),
    "enable_totp": _l("Turned on two-step sign-in"), "disable_totp": _l("Turned off two-step sign-in"),
    "unlock_totp": _l("Unlocked two-step sign-in"), "lock_totp": _l("Locked two-step sign-in"),
    "totp_failure": _l("Typed a wrong sign-in code"), "use_recovery_code": _l("Used a recovery code"),
    "subscriber.create": _l("Added a subscriber"), "subscriber.delete": _l("Moved a subscriber to the trash"),
    "subscriber.restore": _l("Restored a subscriber"), "subscriber.import": _l("Imported subscribers"),
    "subscriber.export": _l("Exported subscribers"), "subscriber.unsubscribe": _l("Unsubscribed a subscriber"),
    "subscriber.resubscribe": _l("Subscribed a subscriber again"),
    "subscriber.resend_confirmation": _l("Sent a confirmation again"),
    "subscriber.disabled": _l("Stopped sending to a subscriber"),
    "delete_override": _l("Deleted despite open incidents"),
    "upstream.draft_opened": _l("Opened a draft from an upstream feed"),
    "upstream.resolved": _l("Resolved from an upstream feed"),
    "upstream.component_status": _l("Set a component's status from an upstream feed"),
}
OBJECT_TYPE_LABELS = {
    "incident": _l("Incident"), "maintenance": _l("Maintenance"), "component": _l("Component"),
    "component_group": _l("Component group"), "tenant": _l("Tenant"), "subscriber": _l("Subscriber"),
    "admin_user": _l("Admin user"), "api_token": _l("API token"), "template": _l("Playbook"),
    "upstream_feed": _l("Upstream feed"), "setting": _l("Setting"), "configuration": _l("Configuration"),
}


def object_url(object_type: str, object_id: str | None) -> str | None:
    """The admin page of an audited object, when it has one."""
    if not object_id:
        return None
    if object_type in ("incident", "maintenance"):
        return url_for("admin.incident_detail", incident_id=object_id)
    if object_type == "component":
        return url_for("admin.component_edit", component_id=object_id)
    if object_type == "subscriber":
        return url_for("admin.subscriber_detail", subscriber_id=object_id)
    if object_type == "template":
        return url_for("admin.playbook_edit", template_id=object_id)
    pages = {"tenant": "admin.tenants", "component_group": "admin.components", "admin_user": "admin.users",
             "api_token": "admin.tokens", "upstream_feed": "admin.upstreams"}
    return url_for(pages[object_type]) if object_type in pages else None


@bp.app_template_filter("subscriber_state")
def subscriber_state(state: str) -> str:
    return SUBSCRIBER_STATE_LABELS.get(state, state)


@bp.app_template_filter("audit_action")
def audit_action(action: str) -> str:
    return AUDIT_ACTION_LABELS.get(action, action)


@bp.app_template_filter("object_type")
def object_type(kind: str) -> str:
    return OBJECT_TYPE_LABELS.get(kind, kind)


@bp.app_template_global("audit_object_url")
def audit_object_url(entry) -> str | None:
    return object_url(entry.object_type, entry.object_id)
