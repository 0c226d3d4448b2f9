"""Subscribing by email through the status page, in Chinese, confirmed from the link the SMTP sink received."""
from __future__ import annotations

import json
import re

import pytest

from statuspage.delivery.runner import drain_outbox
from statuspage.extensions import db
from statuspage.models import Subscriber
from tests.doubles.smtp import smtp_sink  # noqa: F401  (fixture)
from tests.factories import gen_component

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("fresh_limits")]


@pytest.fixture
def app_config(smtp_sink):  # noqa: F811
    return {**smtp_sink.config, "WTF_CSRF_ENABLED": True}




def test_subscribe_by_email_on_the_chinese_page_and_confirm_from_the_email(app, live_server, new_page, axe,
                                                                           smtp_sink):  # noqa: F811
    gen_component("Withdrawals")
    db.session.commit()
    page = new_page(locale="zh-CN")
    page.goto(live_server("/"))
    assert page.locator("html").get_attribute("lang") == "zh-Hans"

    form = page.locator("form.subscribe-form")
    form.get_by_label("邮箱地址").fill("li.wei@example.com")
    form.get_by_role("button", name="订阅").click()
    page.wait_for_url("**/subscribe")
    assert "请查收邮件" in page.locator("main").inner_text()
    pending_bad = axe.serious(axe(page))

    drain_outbox()
    assert smtp_sink.recipients() == ["li.wei@example.com"]
    email = smtp_sink.messages[-1]["message"]
    assert "请确认订阅" in email["Subject"]
    text = email.get_body(("plain",)).get_content()
    link = re.search(re.escape(live_server.url) + r"/subscriptions/confirm/\S+", text).group(0)

    page.goto(link)
    page.get_by_role("button", name="确认订阅").click()
    assert page.get_by_role("heading", name="订阅已确认").is_visible()
    confirmed_bad = axe.serious(axe(page))
    assert not pending_bad + confirmed_bad, json.dumps(pending_bad + confirmed_bad, ensure_ascii=False, indent=1)

    db.session.expire_all()
    subscriber = db.session.query(Subscriber).one()
    assert subscriber.confirmed and subscriber.locale == "zh_Hans"
