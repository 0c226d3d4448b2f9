"""The status page on a phone."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_status_page_fits_a_375px_phone_without_horizontal_scrolling(live_server, new_page):
    page = new_page(width=375, height=812)
    page.goto(live_server("/"))
    assert page.locator("main").is_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page is {width}px wide on a 375px screen"
