"""WeCom (企业微信) group robots: https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=..., 20 messages a minute."""
from __future__ import annotations

from ..base import DeliveryError
from ..chat import ChatChannel, http_failure, json_answer
from .render import render_notice

# errcode: -1 busy, 45009 over the robot's limit: later. 93000 the webhook key is invalid (robot removed).
TRANSIENT = {-1, 45009, 45033}
GONE = {93000, 93008}


class WecomChannel(ChatChannel):
    name = "wecom"
    render = staticmethod(render_notice)
    rate_limits = ((20, 60.0),)

    def check_answer(self, resp) -> str | None:
        if resp.status_code != 200:
            raise http_failure("wecom", resp)
        answer = json_answer(resp)
        code = answer.get("errcode")
        if code == 0:
            return None
        text = f"wecom errcode {code}: {str(answer.get('errmsg', ''))[:100]}"
        if code in TRANSIENT:
            raise DeliveryError(text, retry_after=60.0 if code == 45009 else None)
        raise DeliveryError(text, permanent=True, disabled=code in GONE)
