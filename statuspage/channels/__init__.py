"""Channels: kind -> class, like healthchecks' TRANSPORTS. Every list of channel kinds derives from CHANNELS.

Each kind is a folder: channels/<kind>/__init__.py holds the Channel subclass
(the sender), render.py turns a notice into its message, and webhooks.py (if
any) holds the provider's callbacks as a Blueprint the app factory registers.

An unconfigured email or SMS provider falls back to the log channel
(CONTRACT: log mode), so nothing is dropped.
"""
from __future__ import annotations

from ..extensions import csrf
from .base import Channel, DeliveryError
from .chat import ChatChannel
from .dingtalk import DingtalkChannel
from .email import EmailChannel
from .feishu import FeishuChannel
from .log import LogChannel
from .slack import SlackChannel
from .sms import SmsChannel
from .teams import TeamsChannel
from .webhook import WebhookChannel
from .wecom import WecomChannel

CHANNELS: dict[str, type[Channel]] = {
    "email": EmailChannel,
    "sms": SmsChannel,
    "webhook": WebhookChannel,
    "slack": SlackChannel,
    "teams": TeamsChannel,
    "wecom": WecomChannel,
    "feishu": FeishuChannel,
    "dingtalk": DingtalkChannel,
    "log": LogChannel,
}
# Team chats: a robot's incoming-webhook URL, added by admins (channels/chat.py).
CHAT_CHANNELS: tuple[str, ...] = tuple(kind for kind, cls in CHANNELS.items() if issubclass(cls, ChatChannel))
# The kinds a subscriber can choose (log mode is a fallback, not a choice).
SUBSCRIBER_CHANNELS: tuple[str, ...] = tuple(kind for kind, cls in CHANNELS.items() if cls.subscribable)


def channel_for(app, name: str) -> type[Channel]:
    """The class that sends on `name` now: the real provider, or log mode when it is not set up."""
    cls = CHANNELS.get(name, LogChannel)
    return cls if cls.is_configured(app) else LogChannel


def register_channel_blueprints(app) -> None:
    """Mount each channel's provider callbacks; they are signed by the provider, so CSRF does not apply."""
    for cls in CHANNELS.values():
        if cls.blueprint is not None:
            app.register_blueprint(cls.blueprint)
            csrf.exempt(cls.blueprint)


__all__ = ["CHANNELS", "CHAT_CHANNELS", "SUBSCRIBER_CHANNELS", "Channel", "DeliveryError", "channel_for",
           "register_channel_blueprints"]
