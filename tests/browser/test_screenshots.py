"""The demo status page as readers see it: desktop, phone, Chinese, dark.

The pictures go to a temporary folder; with UPDATE_SCREENSHOTS=1 they also
replace docs/screenshots/*.png (the README shows those):

    make screenshots   (or: UPDATE_SCREENSHOTS=1 .venv/bin/python -m pytest tests/browser/test_screenshots.py)
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from statuspage.demo import load_demo
from statuspage.extensions import db

pytestmark = pytest.mark.browser
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SHOTS = {
    # name: (width, height, ?lang=, colour scheme)
    "status-desktop": (1280, 800, "en", "light"),
    "status-phone": (375, 812, "en", "light"),
    "status-zh": (1280, 800, "zh_Hans", "light"),
    "status-dark-phone": (375, 812, "zh_Hans", "dark"),
}


def test_demo_status_page_screenshots(app, live_server, new_page, tmp_path):
    load_demo()
    db.session.commit()
    for name, (width, height, lang, scheme) in SHOTS.items():
        zone = "Asia/Shanghai" if lang == "zh_Hans" else "Europe/London"
        page = new_page(width=width, height=height, timezone_id=zone)
        page.emulate_media(color_scheme=scheme)
        page.goto(live_server(f"/?lang={lang}"))
        page.reload()  # static/js/tz.js has set the tz cookie: times now show in the reader's zone
        banner = page.locator("#overall-status").inner_text()
        if lang == "zh_Hans":
            assert "系统" in banner or "服务" in banner, banner
            assert "Operational" not in page.locator("main").inner_text()
        else:
            assert "System" in banner or "Service" in banner, banner
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(tmp_path / f"{name}.png"))
        assert (tmp_path / f"{name}.png").stat().st_size > 10_000
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        DOCS.mkdir(parents=True, exist_ok=True)
        for name in SHOTS:
            shutil.copyfile(tmp_path / f"{name}.png", DOCS / f"{name}.png")
