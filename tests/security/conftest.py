"""Security tests: every request starts with a fresh identity, as in production."""
from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fresh_identity(fresh_identity_per_request):
    pass
