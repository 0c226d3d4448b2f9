"""Channels: kind -> class, like healthchecks' TRANSPORTS.

An unconfigured email or SMS provider falls back to the log channel
(CONTRACT: log mode), so nothing is dropped.
"""
from __future__ import annotations

from .base import Channel, DeliveryError
from .email import EmailChannel
from .log import LogChannel
from .sms import SmsChannel
from .webhook import WebhookChannel

CHANNELS: dict[str, type[Channel]] = {
    "email": EmailChannel,
    "sms": SmsChannel,
    "webhook": WebhookChannel,
    "log": LogChannel,
}


def channel_for(app, name: str) -> type[Channel]:
    """The class that sends on `name` now: the real provider, or log mode when it is not set up."""
    cls = CHANNELS.get(name, LogChannel)
    return cls if cls.is_configured(app) else LogChannel


__all__ = ["CHANNELS", "Channel", "DeliveryError", "channel_for"]
