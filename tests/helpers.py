"""Steps that tests in several folders share.

Fixtures (`app`, `client`, `db`, `login`, `bearer`, `fresh_limits`, ...) live in
tests/conftest.py and the gen_* factories in tests/factories.py; helpers that
only one folder uses stay in that folder (tests/delivery/helpers.py, ...).
"""
from __future__ import annotations

import re
import time
from typing import Callable

CSRF_FIELD = r'name="csrf_token" value="([^"]*)"'


def wait_for(predicate: Callable[[], object], timeout: float = 30, every: float = 0.1) -> bool:
    """Ask `predicate` every `every` seconds until it is true or `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return bool(predicate())


def csrf_token(html: str) -> str:
    """The value of the first form's CSRF token field in `html`."""
    match = re.search(CSRF_FIELD, html)
    assert match, "the page has no csrf_token field"
    return match.group(1)


def without_csrf_tokens(page: str | bytes) -> str | bytes:
    """`page` without its CSRF token fields: they are per visitor, not page content."""
    if isinstance(page, bytes):
        return re.sub(CSRF_FIELD.encode(), b"", page)
    return re.sub(CSRF_FIELD, "", page)
