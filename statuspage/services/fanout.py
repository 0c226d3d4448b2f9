"""Who gets a notice, as one INSERT ... SELECT (placeholder: the delivery engine fills this in)."""
from __future__ import annotations


def fan_out_update(update) -> int:
    """Write the delivery rows for `update` in the caller's transaction (or mark it pending); return how many."""
    return 0


def count_recipients(incident) -> dict:
    """{"email": n, "sms": n, "webhook": n}: who a notice on `incident` would reach now."""
    return {"email": 0, "sms": 0, "webhook": 0}
