"""Input checks shared by the admin forms and the admin API, so both say the same thing."""
from __future__ import annotations

from flask_babel import gettext as _


class ValidationError(Exception):
    """One message per field; the API answers 422 with them, a form shows them next to the field."""

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))


def text(data: dict, field: str, max_len: int, required: bool = False, default: str = "") -> str:
    value = data.get(field, default)
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError({field: _("Must be text.")})
    value = value.strip()
    if "\x00" in value:  # PostgreSQL refuses NUL in text outright: a clear 4xx, never a driver error
        raise ValidationError({field: _("Must not contain a NUL character.")})
    if required and not value:
        raise ValidationError({field: _("This field is required.")})
    if len(value) > max_len:
        raise ValidationError({field: _("Must be at most %(n)d characters.", n=max_len)})
    return value


def choice(data: dict, field: str, choices, default: str | None = None) -> str:
    value = data.get(field, default)
    if value not in choices:
        raise ValidationError({field: _("Must be one of: %(choices)s.", choices=", ".join(choices))})
    return value


def boolean(data: dict, field: str, default: bool = False) -> bool:
    value = data.get(field, default)
    if not isinstance(value, bool):
        raise ValidationError({field: _("Must be true or false.")})
    return value


def int_list(data: dict, field: str, max_items: int = 1000) -> list[int]:
    value = data.get(field, [])
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > max_items or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise ValidationError({field: _("Must be a list of ids.")})
    return list(dict.fromkeys(value))


def str_list(data: dict, field: str, max_items: int = 1000, max_len: int = 200) -> list[str]:
    value = data.get(field, [])
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > max_items or not all(
            isinstance(v, str) and len(v) <= max_len for v in value):
        raise ValidationError({field: _("Must be a list of names.")})
    return list(dict.fromkeys(v.strip() for v in value if v.strip()))


def translations(data: dict, field: str, locales, max_len: int) -> dict:
    """{"zh_Hans": "..."}: only known locales, only text, empty values dropped."""
    value = data.get(field) or {}
    if not isinstance(value, dict) or not all(k in locales for k in value):
        raise ValidationError({field: _("Must map a locale (%(l)s) to text.", l=", ".join(locales))})
    out = {}
    for key, val in value.items():
        if not isinstance(val, str) or len(val) > max_len:
            raise ValidationError({field: _("Must map a locale (%(l)s) to text.", l=", ".join(locales))})
        if val.strip():
            out[key] = val.strip()
    return out


def id_value(value) -> int | None:
    """An integer id from a path or query string, or None."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**31 else None
