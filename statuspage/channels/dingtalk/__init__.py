"""DingTalk (钉钉) custom robots (https://oapi.dingtalk.com/robot/send?access_token=...), optionally signed.

With "加签" on, the URL carries `timestamp` (milliseconds) and `sign` =
urlencode(base64(HMAC-SHA256(key = secret, message = "<timestamp>\\n<secret>"))).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import quote_plus

from ..base import DeliveryError
from ..chat import ChatChannel, http_failure, json_answer
from .render import render_notice

# errcode: 130101 sending too fast, 90030 over the robot's limit, -1 busy: later.
# 310000 the security settings (signature, keyword, IP) refuse us; 300001 / 400102 / 400101 the robot's token
# is gone or the robot is stopped.
TRANSIENT = {-1, 130101, 90030}
GONE = {300001, 400101, 400102}


def sign(timestamp: str, secret: str) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(mac).decode())


class DingtalkChannel(ChatChannel):
    name = "dingtalk"
    render = staticmethod(render_notice)
    rate_limits = ((20, 60.0),)

    def prepare(self, url: str, body: dict, secret: str | None) -> tuple[str, dict]:
        if secret:
            timestamp = str(int(time.time() * 1000))
            url = f"{url}{'&' if '?' in url else '?'}timestamp={timestamp}&sign={sign(timestamp, secret)}"
        return url, body

    def check_answer(self, resp) -> str | None:
        if resp.status_code != 200:
            raise http_failure("dingtalk", resp)
        answer = json_answer(resp)
        code = answer.get("errcode")
        if code == 0:
            return None
        text = f"dingtalk errcode {code}: {str(answer.get('errmsg', ''))[:100]}"
        if code in TRANSIENT:
            raise DeliveryError(text, retry_after=60.0)
        raise DeliveryError(text, permanent=True, disabled=code in GONE)
