"""Who gets a notice, as one INSERT ... SELECT (placeholder until the engine lands)."""
from __future__ import annotations


def fan_out_update(update) -> int:
    """Write the delivery rows for `update` in the caller's transaction; return how many."""
    return 0
