"""An admin registers a provider's status feed in the browser and watches its fetches."""
from __future__ import annotations

import json
import os
import shutil

import pytest

from statuspage.extensions import db
from statuspage.upstream import poll_all
from tests.browser.conftest import sign_in
from tests.factories import gen_admin, gen_component
from tests.upstream import feeds
from tests.upstream.server import FeedServer

pytestmark = pytest.mark.browser


@pytest.fixture
def provider():
    server = FeedServer()
    server.set("/history.rss", feeds.statuspage_rss([("a1", "Delayed payouts", feeds.RESOLVED)]))
    yield server
    server.close()


def test_admin_adds_a_feed_and_sees_its_last_fetch(app, live_server, new_page, axe, provider, tmp_path):
    gen_component("Card checkout")
    gen_admin(email="ops@example.com")
    db.session.commit()
    page = new_page()
    sign_in(page, live_server)

    page.goto(live_server("/admin/upstreams"))
    page.get_by_label("Provider name").fill("Payhub")
    page.get_by_label("Feed URL").fill(provider.url("/history.rss"))
    page.get_by_label("Card checkout").check()
    page.get_by_role("button", name="Add feed").click()
    assert "Feed “Payhub” added" in page.locator(".flashes").inner_text()
    assert "not yet" in page.locator("table").inner_text()

    poll_all(force=True)
    db.session.remove()
    page.reload()
    row = page.locator("tbody tr").first.inner_text()
    assert "Payhub" in row and "Operational" in row and "200" in row
    found = axe(page)
    assert not axe.serious(found), json.dumps(found, indent=1)
    page.screenshot(path=str(tmp_path / "admin-upstreams.png"), full_page=True)
    if os.environ.get("UPSTREAM_SCREENSHOT"):
        shutil.copyfile(tmp_path / "admin-upstreams.png", os.environ["UPSTREAM_SCREENSHOT"])
