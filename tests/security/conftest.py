"""Signed-in clients (the admin tests' `login` fixture) for the security tests."""
from tests.admin.conftest import PASSWORD, _fresh_identity_per_request, login  # noqa: F401
