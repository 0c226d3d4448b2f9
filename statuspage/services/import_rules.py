"""A configuration import is held to the rules the forms and the API apply, before anything is written.

The import keeps ids, tokens and dates as exported, but not what no entry point would accept: a status
or impact that does not exist, a channel kind nobody sends on, a webhook to a private address, an SMS
number outside the SMS policy, an address that is not one. Every problem is listed; none is loaded.
"""
from __future__ import annotations

from flask_babel import gettext as _

from ..channels import CHAT_CHANNELS, SUBSCRIBER_CHANNELS
from ..i18n import normalize_locale
from ..models import COMPONENT_STATUSES, IMPACTS, INCIDENT_STATUSES, MAINTENANCE_STATUSES, VISIBILITIES
from ..outbound import OutboundRefused, check_url
from .subscriptions import SubscriptionError, normalize_email, normalize_phone
from .validation import ValidationError

MAX_LISTED = 20


def check_import(data: dict) -> None:
    """ValidationError({"file": every problem, one per line}) unless the whole file keeps the rules."""
    problems: list[str] = []
    for c in _rows(data, "components"):
        _one_of(problems, f"component {c.get('id')}", "status", c.get("status"), COMPONENT_STATUSES)
    statuses = INCIDENT_STATUSES + MAINTENANCE_STATUSES
    for t in _rows(data, "templates"):
        _one_of(problems, f"playbook {t.get('id')}", "impact", t.get("impact"), IMPACTS)
        _one_of(problems, f"playbook {t.get('id')}", "status", t.get("status"), statuses)
    for i in _rows(data, "incidents"):
        where = f"incident {i.get('id')}"
        _one_of(problems, where, "status", i.get("status"), statuses)
        _one_of(problems, where, "impact", i.get("impact"), IMPACTS)
        _one_of(problems, where, "visibility", i.get("visibility", "public"), VISIBILITIES)
        for u in i.get("updates") or []:
            if isinstance(u, dict):
                _one_of(problems, f"{where} update {u.get('id')}", "status", u.get("status"), statuses)
    for s in _rows(data, "subscribers"):
        _check_subscriber(problems, s)
    if problems:
        listed = problems[:MAX_LISTED]
        more = len(problems) - len(listed)
        text = "\n".join(listed) + (("\n" + _("… and %(n)d more.", n=more)) if more else "")
        raise ValidationError({"file": _("Nothing was imported; fix these first:\n%(problems)s", problems=text)})


def _rows(data: dict, key: str) -> list[dict]:
    rows = data.get(key) or []
    if not isinstance(rows, list):
        raise ValidationError({"file": _("The file is incomplete or damaged (%(detail)s).", detail=key)})
    return [r for r in rows if isinstance(r, dict)]


def _one_of(problems: list[str], where: str, field: str, value, allowed) -> None:
    if value not in allowed:
        problems.append(f"{where}: {field} {str(value)[:40]!r} " + _("must be one of: %(choices)s.",
                                                                     choices=", ".join(allowed)))


def _check_subscriber(problems: list[str], s: dict) -> None:
    where = f"subscriber {s.get('id')}"
    channel, address = s.get("channel"), s.get("address")
    if channel not in SUBSCRIBER_CHANNELS:
        _one_of(problems, where, "channel", channel, SUBSCRIBER_CHANNELS)
        return
    if not isinstance(address, str) or not address:
        problems.append(f"{where}: " + _("no address."))
        return
    if s.get("locale") is not None and normalize_locale(s.get("locale")) != s.get("locale"):
        problems.append(f"{where}: " + _("unknown language %(locale)s.", locale=str(s.get("locale"))[:20]))
    try:
        if channel == "email" and normalize_email(address) != address:
            problems.append(f"{where}: " + _("the email address is not in its normal form."))
        elif channel == "sms" and normalize_phone(address) != address:
            problems.append(f"{where}: " + _("the phone number is not in E.164 form."))
        elif channel == "webhook" or channel in CHAT_CHANNELS:
            check_url(address, unresolvable_ok=True)
    except SubscriptionError as exc:
        problems.append(f"{where}: {exc.message}")
    except OutboundRefused as exc:
        problems.append(f"{where}: " + _("This address is not allowed: %(reason)s.", reason=str(exc)))
