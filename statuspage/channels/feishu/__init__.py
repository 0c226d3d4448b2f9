"""Feishu / Lark custom bots (https://open.feishu.cn/open-apis/bot/v2/hook/...), optionally signed.

With "signature verification" on, the body carries `timestamp` (seconds) and
`sign` = base64(HMAC-SHA256(key = "<timestamp>\\n<secret>", message = empty)).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import time

from ..base import DeliveryError
from ..chat import ChatChannel, http_failure, json_answer
from .render import render_notice

# code: 11232 frequency limited, 9499 with HTTP 5xx busy: later. 19021 signature, 19022 IP, 19024 keyword:
# the bot's security settings refuse us (fix the secret; retrying cannot help). 19001 the token is invalid:
# the bot was removed.
TRANSIENT = {11232}
GONE = {19001}


def sign(timestamp: str, secret: str) -> str:
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


class FeishuChannel(ChatChannel):
    name = "feishu"
    render = staticmethod(render_notice)
    rate_limits = ((5, 1.0), (100, 60.0))

    def prepare(self, url: str, body: dict, secret: str | None) -> tuple[str, dict]:
        if secret:
            timestamp = str(int(time.time()))
            body = {"timestamp": timestamp, "sign": sign(timestamp, secret), **body}
        return url, body

    def check_answer(self, resp) -> str | None:
        if resp.status_code >= 500 or resp.status_code == 429:
            raise http_failure("feishu", resp)
        answer = json_answer(resp)
        code = answer.get("code", answer.get("StatusCode"))
        if resp.status_code == 200 and code == 0:
            return None
        if code is None:
            raise http_failure("feishu", resp)
        text = f"feishu code {code}: {str(answer.get('msg', answer.get('StatusMessage', '')))[:100]}"
        if code in TRANSIENT:
            raise DeliveryError(text, retry_after=60.0)
        raise DeliveryError(text, permanent=True, disabled=code in GONE)
