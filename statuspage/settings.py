"""Numeric tuning knobs, read from the app config, else the environment.

Used by the delivery engine and the renderers: DELIVERY_LEASE_SECONDS (120),
DELIVERY_BATCH_SIZE (100), DELIVERY_RETRY_BASE_SECONDS (30),
DELIVERY_RETRY_MAX_SECONDS (3600), FANOUT_INLINE_MAX (50000),
SMS_MAX_SEGMENTS (4).
"""
from __future__ import annotations

import os

from flask import current_app


def setting(name: str, default: float, app=None) -> float:
    config = (app or current_app).config
    value = config.get(name)
    if value is None:
        value = os.environ.get(name) or default
    try:
        return float(value)
    except (TypeError, ValueError):
        return float(default)
