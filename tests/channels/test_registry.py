"""The registry: every kind a subscriber can choose renders a notice, and provider callbacks are mounted from it."""
from __future__ import annotations

from statuspage.channels import CHANNELS, CHAT_CHANNELS, SUBSCRIBER_CHANNELS
from statuspage.notices import render_notice
from tests.factories import gen_incident, gen_subscriber


def test_log_mode_is_a_fallback_not_a_channel_to_subscribe_to():
    assert set(SUBSCRIBER_CHANNELS) == set(CHANNELS) - {"log"}


def test_every_subscriber_channel_renders_a_notice_naming_the_incident(app, db):
    incident = gen_incident(name="Withdrawals failing", body="We are on it.")
    update = incident.updates[0]
    subscribers = {"email": gen_subscriber("ann@example.com"),
                   "sms": gen_subscriber("+14155550101", channel="sms"),
                   "webhook": gen_subscriber("https://hooks.example.com/x", channel="webhook", webhook_secret="s3cret")}
    for kind in CHAT_CHANNELS:
        subscribers[kind] = gen_subscriber(f"https://robots.example.com/{kind}", channel=kind)
    for kind in SUBSCRIBER_CHANNELS:
        message = render_notice(kind, incident, update, "en", subscribers[kind])
        assert "Withdrawals failing" in repr(message), kind


def test_the_webhook_message_carries_the_subscribers_signing_secret(app, db):
    incident = gen_incident(name="Queue backlog")
    sub = gen_subscriber("https://hooks.example.com/x", channel="webhook", webhook_secret="s3cret")
    message = render_notice("webhook", incident, incident.updates[0], "en", sub)
    assert message["secret"] == "s3cret" and message["json"]["incident"]["name"] == "Queue backlog"


def test_the_app_mounts_each_channels_callbacks_at_the_contract_urls(app):
    rules = {rule.rule: rule.methods for rule in app.url_map.iter_rules()}
    for path in ("/webhooks/twilio/inbound", "/webhooks/twilio/status"):
        assert "POST" in rules[path]
