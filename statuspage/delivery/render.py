"""Render notices per channel and locale from templates (placeholder: the delivery engine fills this in).

Used by the worker and by the admin preview, so the preview is exactly what
subscribers get.
"""
from __future__ import annotations


def render_update_email(incident, update, locale: str = "en", subscriber=None) -> dict:
    """{"subject": str, "text": str, "html": str, "headers": {...}} for one update."""
    raise NotImplementedError


def render_update_sms(incident, update, locale: str = "en") -> str:
    raise NotImplementedError


def sms_segments(text: str) -> dict:
    """{"encoding": "GSM-7"|"UCS-2", "characters": n, "segments": n}."""
    raise NotImplementedError
