"""The manage API's own limit: per API key per minute, answered 429 with Retry-After as Statuspage does."""
from __future__ import annotations

import time

import pytest


@pytest.fixture
def app_config():
    return {"RATELIMIT_ENABLED": True, "MANAGE_API_RATE_PER_MINUTE": 3}


def test_a_key_over_its_limit_gets_429_and_another_key_does_not(client, oauth, fresh_limits):
    busy, other = oauth("viewer"), oauth("viewer")
    if time.time() % 60 > 50:  # the limit counts per calendar minute: start the burst inside one
        time.sleep(61 - time.time() % 60)
    answers = [client.get("/v1/pages.json", headers=busy).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    limited = client.get("/v1/pages.json", headers=busy)
    assert limited.headers["Retry-After"] == "60" and limited.get_json()["error"]
    assert client.get("/v1/pages.json", headers=other).status_code == 200
