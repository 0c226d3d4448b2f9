"""Bearer tokens for each role."""
from __future__ import annotations

import pytest

from tests.factories import gen_admin, gen_api_token


@pytest.fixture
def bearer(db):
    """bearer(role, user_role=None) → headers with a fresh token of `role` for a user of `user_role`."""
    made = {}

    def _bearer(role="admin", user_role=None):
        user_role = user_role or role
        user = made.get(user_role) or gen_admin(f"{user_role}@example.com", role=user_role)
        made[user_role] = user
        _token, raw = gen_api_token(user, role=role)
        db.session.commit()
        return {"Authorization": f"Bearer {raw}"}

    return _bearer
