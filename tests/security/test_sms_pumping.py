"""A scripted flood of subscribe requests for premium-rate and foreign numbers: confirm codes stay within
the configured ceilings per IP, per destination and per number prefix in the hour, counted at the Twilio double."""
from __future__ import annotations

import pytest

from statuspage.ratelimit import reset_local
from statuspage.delivery.runner import drain_outbox
from tests.doubles.twilio import twilio_double  # noqa: F401  (fixture)

PER_IP, PER_PREFIX, PER_DEST = 5, 3, 2


@pytest.fixture
def app_config(twilio_double):  # noqa: F811
    # REDIS_URL None: the counters live in this process, so runs do not share an hour's counts.
    return {**twilio_double.config, "SUBSCRIBE_RATE_LIMITS": True, "REDIS_URL": None, "SMS_RATE_PER_SECOND": 1000,
            "SUBSCRIBE_LIMIT_PER_IP": PER_IP, "SUBSCRIBE_LIMIT_PER_PREFIX": PER_PREFIX,
            "SUBSCRIBE_LIMIT_PER_DESTINATION": PER_DEST}


@pytest.fixture(autouse=True)
def _fresh_counters():
    reset_local()
    yield
    reset_local()


def _flood(client, numbers, ips):
    codes = []
    for number, ip in zip(numbers, ips):
        resp = client.post("/subscribe", json={"phone": number},
                           environ_base={"REMOTE_ADDR": ip}, headers={"X-Forwarded-For": f"10.9.{len(codes)}.1"})
        assert resp.status_code < 500
        codes.append(resp.status_code)
    drain_outbox()
    return codes


def _texts(twilio):
    return [r["form"]["To"] for r in twilio.sent()]


def test_one_ip_gets_its_ceiling_of_codes_whatever_forwarded_for_says(app, client, twilio_double):  # noqa: F811
    numbers = [f"+1{area}555{i:04d}" for i, area in enumerate([212, 312, 415, 646, 718] * 8)]
    codes = _flood(client, numbers, ["203.0.113.7"] * len(numbers))
    assert codes.count(202) == PER_IP and codes.count(429) == len(numbers) - PER_IP
    print(f"\n[security] one IP, {len(numbers)} requests: {len(_texts(twilio_double))} codes sent")
    assert len(_texts(twilio_double)) == PER_IP


def test_many_ips_pumping_one_number_block_get_the_prefix_ceiling(app, client, twilio_double):  # noqa: F811
    numbers = [f"+1415555{i:04d}" for i in range(60)]  # one block: the shape of a pumping attack
    ips = [f"198.51.100.{i}" for i in range(60)]
    codes = _flood(client, numbers, ips)
    assert codes.count(202) == PER_PREFIX
    print(f"\n[security] 60 IPs, one block: {len(_texts(twilio_double))} codes sent")
    assert len(_texts(twilio_double)) == PER_PREFIX


def test_one_number_gets_at_most_its_ceiling(app, client, twilio_double):  # noqa: F811
    codes = _flood(client, ["+12125550100"] * 10, [f"192.0.2.{i}" for i in range(10)])
    assert codes.count(202) == PER_DEST
    assert _texts(twilio_double) == ["+12125550100"] * PER_DEST


@pytest.mark.parametrize("number", [
    "+19002530000",   # US premium rate (900)
    "+449098790000",  # UK premium rate (09)
    "+33899123456",   # France premium rate (089)
    "+2348031234567",  # Nigeria: not an allowed country
    "+79123456789",   # Russia: not an allowed country
    "+88213000000",   # international networks
    "+1900",          # not a number at all
])
def test_premium_rate_and_foreign_numbers_get_no_code(app, client, twilio_double, number):  # noqa: F811
    resp = client.post("/subscribe", json={"phone": number}, environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert resp.status_code == 400, resp.get_json()
    assert resp.get_json()["error"]["field"] == "phone"
    drain_outbox()
    assert _texts(twilio_double) == []
