"""What the payload parsers share: reading labels, times and fingerprints the way Prometheus tools write them."""
from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timezone

from ..services.alerts import MAX_ALERTS, PayloadInvalid

_FRACTION = re.compile(r"(\.\d{6})\d+")
# Go's zero time: Alertmanager's endsAt for an alert with no end yet.
_ZERO_YEAR = 1


def obj(value, what: str) -> dict:
    if not isinstance(value, dict):
        raise PayloadInvalid(f"{what} must be a JSON object")
    return value


def string_map(value, what: str) -> dict[str, str]:
    """Labels and annotations: names to strings (numbers and booleans written as text)."""
    if value is None:
        return {}
    value = obj(value, what)
    out = {}
    for key, item in value.items():
        if not isinstance(item, str | int | float | bool) or len(str(key)) > 200:
            raise PayloadInvalid(f"{what}.{str(key)[:50]} must be a string")
        out[str(key)] = str(item)[:2000]
    return out


def timestamp(value, what: str) -> datetime | None:
    """RFC 3339 (nanoseconds and offsets allowed); Go's zero time and absence are None."""
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > 64:
        raise PayloadInvalid(f"{what} must be an RFC 3339 time")
    text = _FRACTION.sub(r"\1", value.strip()).replace("Z", "+00:00").replace("z", "+00:00")
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise PayloadInvalid(f"{what} must be an RFC 3339 time") from None
    if when.year <= _ZERO_YEAR:
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def status(value, what: str) -> str:
    if value not in ("firing", "resolved"):
        raise PayloadInvalid(f"{what} must be 'firing' or 'resolved'")
    return value


def fingerprint(value, labels: dict) -> str:
    """The tool's fingerprint, or one made from the labels (what identifies a Prometheus alert)."""
    if isinstance(value, str) and value.strip() and len(value) <= 128:
        return value.strip()
    if value not in (None, ""):
        raise PayloadInvalid("fingerprint must be a string of at most 128 characters")
    return "labels:" + hashlib.sha256(json.dumps(labels, sort_keys=True).encode()).hexdigest()[:40]


def group_key(value, fallback: dict) -> str:
    """The tool's groupKey, kept short enough for the unique key."""
    key = value if isinstance(value, str) and value else json.dumps(fallback, sort_keys=True)
    return key if len(key) <= 200 else "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def alert_list(value) -> list:
    if not isinstance(value, list) or not value:
        raise PayloadInvalid("alerts must be a non-empty list")
    if len(value) > MAX_ALERTS:
        raise PayloadInvalid(f"at most {MAX_ALERTS} alerts a request")
    return value
