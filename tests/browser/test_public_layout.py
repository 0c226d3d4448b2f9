"""The public pages on a 375 px phone and in dark mode, in headless Chromium."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from statuspage.demo import load_demo
from statuspage.extensions import db
from statuspage.models import Incident, Tenant
from statuspage.services.tenants import access_token

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_paths(app, live_server):
    load_demo()
    db.session.commit()
    postmortem = db.session.scalars(select(Incident).where(Incident.postmortem_published_at.is_not(None))).first()
    globex = db.session.scalars(select(Tenant).where(Tenant.private.is_(True))).first()
    return live_server, ["/", f"/incidents/{postmortem.id}", "/history",
                         f"/t/{globex.slug}/?access={access_token(globex)}", "/?lang=zh_Hans"]


def test_pages_fit_a_375px_phone_without_horizontal_scrolling(demo_paths, new_page):
    server, paths = demo_paths
    page = new_page(width=375, height=740)
    for path in paths:
        page.goto(server(path))
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 375px"
        assert page.locator("main h1, main h2").first.is_visible()


def test_dark_mode_has_no_serious_accessibility_violations(demo_paths, browser, axe):
    server, paths = demo_paths
    context = browser.new_context(viewport={"width": 375, "height": 740}, color_scheme="dark")
    try:
        page = context.new_page()
        for path in paths:
            page.goto(server(path))
            background = page.evaluate("getComputedStyle(document.body).backgroundColor")
            assert background != "rgb(255, 255, 255)", "dark mode did not apply"
            bad = axe.serious(axe(page))
            assert not bad, f"{path}: {bad}"
    finally:
        context.close()


def test_uptime_bars_read_as_a_labelled_list(demo_paths, new_page):
    server, _ = demo_paths
    page = new_page()
    page.goto(server("/"))
    crm_bars = page.get_by_role("list", name="Daily status of CRM, last 90 days, oldest first")
    assert crm_bars.get_by_role("listitem").count() == 90
    # Today: the demo's withdrawal incident has CRM in a partial outage.
    assert "Partial outage" in crm_bars.get_by_role("listitem").last.inner_text()
    email_bars = page.get_by_role("list", name="Daily status of Email, last 90 days, oldest first")
    assert "no incidents" in email_bars.get_by_role("listitem").last.inner_text()
