"""Phone numbers inside free text (a hotline in a notice), found with libphonenumber.

`+…` numbers are found in any country; numbers written the national way
(400-810-8888) in SMS_DEFAULT_REGION (default CN).
"""
from __future__ import annotations

import phonenumbers
from flask import current_app, has_app_context


def _regions() -> list[str | None]:
    region = "CN"
    if has_app_context():
        region = current_app.config.get("SMS_DEFAULT_REGION") or "CN"
    return [None, region]


def phone_spans(text: str) -> list[tuple[int, int, str]]:
    """[(start, end, E.164)] for each phone number in `text`, in order, never overlapping."""
    if not text or not any(ch.isdigit() for ch in text):
        return []
    found: list[tuple[int, int, str]] = []
    for region in _regions():
        for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID):
            if any(match.start < end and start < match.end for start, end, _ in found):
                continue
            e164 = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
            found.append((match.start, match.end, e164))
    return sorted(found)
