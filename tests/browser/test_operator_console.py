"""The operator's console in a real browser: subscribers, guarded deletes, the audit log, and a 375 px phone.

Every console page is checked with axe-core (no finding at all) at 375 and 1280 px, in English and Chinese.

Screenshots land in $CONSOLE_SHOTS (default /tmp/console) for a person to look at.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from statuspage.demo import load_demo
from statuspage.extensions import db
from statuspage.models import Subscriber, Tenant
from tests.browser.conftest import sign_in
from tests.factories import gen_admin, gen_incident, gen_subscriber, gen_tenant

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("CONSOLE_SHOTS", "/tmp/console"))
PHONE_PAGES = ("/admin/incidents", "/admin/deliveries", "/admin/audit?sign_ins=1", "/admin/subscribers", "/admin/",
               "/admin/trash", "/admin/tenants", "/admin/components", "/admin/subscribers/1",
               "/admin/subscribers?view=counts", "/admin/tenants/1/delete", "/admin/components/1/delete")


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_operator_finds_a_subscriber_among_many_unsubscribes_and_subscribes_again(app, live_server, new_page, axe):
    acme = gen_tenant("Acme Bank", slug="acme")
    for i in range(150):
        gen_subscriber(f"customer{i:03d}@example.com", tenant=acme if i % 2 else None)
    gen_subscriber("angry.client@bank.example", tenant=acme)
    gen_admin(email="ops@example.com", role="admin")
    db.session.commit()

    page = new_page()
    sign_in(page, live_server)
    page.goto(live_server("/admin/subscribers?lang=en"))
    page.get_by_role("link", name="Older →").click()  # keyset pages
    page.wait_for_url(re.compile(r"before=\d+"))
    page.get_by_label("Email or phone").fill("angry")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"q=angry"))
    results = page.locator("table").first.locator("tbody tr")
    assert results.count() == 1
    _shot(page, "subscribers")
    assert not axe(page)
    page.get_by_role("link", name="angry.client@bank.example").click()
    page.get_by_role("button", name="Unsubscribe").click()
    assert "Opted out" in page.locator("dl.meta").inner_text()
    page.get_by_role("button", name="Subscribe again").click()  # no reason: refused, said why
    assert page.locator("#reason-error").is_visible()
    page.get_by_label("Reason (kept in the audit log)").fill("asked on the hotline, ticket 4711")
    page.get_by_role("button", name="Subscribe again").click()
    assert "Confirmed" in page.locator("dl.meta").inner_text()
    _shot(page, "subscriber-detail")
    assert not axe(page)
    sub = db.session.scalar(db.select(Subscriber).filter_by(address="angry.client@bank.example"))
    db.session.refresh(sub)
    assert not sub.opted_out


def test_tenant_delete_names_what_it_touches_and_restores_from_the_trash(app, live_server, new_page, axe):
    acme = gen_tenant("Acme Bank", slug="acme")
    gen_incident("Withdrawals failing", tenants=[acme])
    gen_subscriber("a@example.com", tenant=acme)
    gen_admin(email="ops@example.com", role="admin")
    db.session.commit()

    page = new_page()
    sign_in(page, live_server)
    page.goto(live_server("/admin/tenants?lang=en"))
    page.locator("summary", has_text="Edit").click()
    page.get_by_role("link", name="Move to trash…").click()
    body = page.locator("main").inner_text()
    assert "Withdrawals failing" in body and "/t/acme/" in body and "1 subscriber of this tenant" in body
    _shot(page, "tenant-delete")
    assert not axe(page)
    page.get_by_label("Type “Acme Bank” to delete").fill("Acme Bank")
    page.get_by_role("button", name="Move to trash").click()  # open incident, no override: refused
    assert page.locator("#override-error").is_visible()
    page.get_by_label("Delete it although it has open incidents").check()
    page.get_by_label("Type “Acme Bank” to delete").fill("Acme Bank")
    page.get_by_role("button", name="Move to trash").click()
    page.wait_for_url(re.compile(r"/admin/tenants$"))
    page.goto(live_server("/admin/trash"))
    row = page.locator("tr", has_text="Acme Bank")
    assert "by ops@example.com" in row.inner_text()
    _shot(page, "trash")
    row.get_by_role("button", name="Restore").click()
    db.session.expire_all()
    assert db.session.get(Tenant, acme.id).deleted_at is None


def test_audit_log_filters_by_select(app, live_server, new_page, axe):
    load_demo()
    gen_admin(email="ops@example.com", role="admin")
    db.session.commit()
    page = new_page()
    sign_in(page, live_server)
    page.goto(live_server("/admin/audit?lang=en"))
    assert "Signed in" not in page.locator("tbody").inner_text()
    page.get_by_label("What").select_option(label="Signed in")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("tbody tr")
    assert rows.count() >= 1 and "ops@example.com" in rows.first.inner_text()
    page.get_by_label("Who").select_option("ops@example.com")
    page.get_by_role("button", name="Filter").click()
    assert "actor=ops%40example.com" in page.url
    _shot(page, "audit")
    assert not axe(page)


@pytest.mark.parametrize("locale", ["en", "zh_Hans"])
def test_admin_fits_a_375_px_phone_and_the_menu_opens_without_javascript(app, live_server, new_page, axe, locale):
    load_demo()
    gen_admin(email="ops@example.com", role="admin")
    db.session.commit()
    page = new_page(width=375, height=800)
    sign_in(page, live_server)
    too_wide = {}
    for path in PHONE_PAGES:
        assert page.goto(live_server(path + ("&" if "?" in path else "?") + f"lang={locale}")).status == 200, path
        width = page.evaluate("document.scrollingElement.scrollWidth")
        if width > 375:
            too_wide[path] = width
        if locale == "en":
            _shot(page, "phone" + path.split("?")[0].replace("/", "-").rstrip("-"))
        found = axe(page)
        assert not found, (path, found)
    assert not too_wide, too_wide

    wide = new_page(width=1280, height=800)
    wide.context.add_cookies(page.context.cookies())
    for path in PHONE_PAGES:
        wide.goto(live_server(path + ("&" if "?" in path else "?") + f"lang={locale}"))
        found = axe(wide)
        assert not found, (path, found)

    nojs = new_page(width=375, height=800)
    nojs.context.add_cookies(page.context.cookies())
    nojs.context.route("**/*.js", lambda route: route.abort())
    nojs.goto(live_server(f"/admin/subscribers?lang={locale}"))
    menu = nojs.locator("details.menu")
    assert not nojs.locator("nav[aria-label] a[href='/admin/tenants']").is_visible()
    menu.locator("summary").click()
    assert nojs.locator("nav a[href='/admin/tenants']").is_visible()
    assert nojs.locator("nav a[aria-current='page']").get_attribute("href") == "/admin/subscribers"
    if locale == "en":
        _shot(nojs, "phone-menu-open")
