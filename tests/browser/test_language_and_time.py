"""A reader picks a language and sees times in their own zone, in a real browser."""
from __future__ import annotations

import re

import pytest

from statuspage.extensions import db
from tests.factories import gen_component, gen_incident

pytestmark = pytest.mark.browser


def test_language_switcher_choice_sticks_across_pages(app, live_server, new_page):
    gen_component("API")
    db.session.commit()
    page = new_page(locale="en-US")
    page.goto(live_server("/"))
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_role("link", name="简体中文").click()
    page.wait_for_url(re.compile(r"lang=zh_Hans"))
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert "所有系统运行正常" in page.locator("#overall-status").inner_text()

    page.goto(live_server("/history"))  # no ?lang=: the cookie remembers
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert page.get_by_role("heading", name="事件历史").is_visible()
    switcher = page.get_by_role("navigation", name="语言")
    assert switcher.get_by_role("link", name="简体中文").get_attribute("aria-current") == "true"


def test_chinese_browser_gets_chinese_without_choosing(app, live_server, new_page):
    db.session.commit()
    page = new_page(locale="zh-CN")
    page.goto(live_server("/"))
    assert page.locator("html").get_attribute("lang") == "zh-Hans"


def test_times_show_in_the_readers_time_zone_from_the_second_page(app, live_server, new_page):
    from datetime import datetime, timezone

    gen_incident("Slow logins", impact="minor", started_at=datetime(2026, 3, 1, 23, 30, tzinfo=timezone.utc))
    db.session.commit()
    page = new_page(locale="en-US", timezone_id="Asia/Shanghai")
    page.goto(live_server("/?lang=en"))
    first = page.locator(".incident .meta time").first.inner_text()
    assert first == "2026-03-01 23:30 UTC"  # the site's zone: the server cannot know the reader's yet
    page.reload()
    assert page.locator(".incident .meta time").first.inner_text() == "2026-03-02 07:30 +0800"
    assert page.locator(".incident .meta time").first.get_attribute("datetime") == "2026-03-01T23:30:00Z"
