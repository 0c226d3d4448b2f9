"""axe-core (WCAG 2.x A/AA) in headless Chromium on the public and admin pages, with demo data.

The subscription confirmation page is checked in test_subscribe.py, at the end
of the real subscribe-and-confirm flow.

Serious and critical violations fail the test; all findings are printed
(`pytest tests/browser/test_accessibility.py -s`) for the record.
"""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from statuspage.demo import load_demo
from statuspage.extensions import db
from statuspage.models import Incident, Tenant
from statuspage.services.tenants import access_token
from tests.browser.conftest import sign_in
from tests.factories import gen_admin

pytestmark = pytest.mark.browser


def _incident_path() -> str:
    incident = db.session.scalars(select(Incident).where(Incident.kind == "incident", Incident.draft.is_(False),
                                                         Incident.visibility == "public")
                                  .order_by(Incident.resolved_at.is_(None).desc(), Incident.id)).first()
    return f"/incidents/{incident.id}"


def _tenant_path() -> str:
    tenant = db.session.scalars(select(Tenant).where(Tenant.private.is_(True))).first()
    return f"/t/{tenant.slug}/?access={access_token(tenant)}"


# Same templates as in English; axe on the 90-day bars takes seconds, so Chinese checks a subset.
CHECKED_IN_CHINESE = ("status page", "incident", "subscribe form", "admin sign-in")
# Beyond the dashboard: the pages an operator uses during an incident.
ADMIN_PAGES = ("/admin/incidents/new", "/admin/incidents", "/admin/incidents/1", "/admin/components",
               "/admin/tenants", "/admin/maintenance/new", "/admin/playbooks/new", "/admin/users")
PUBLIC_PAGES = {
    "status page": lambda: "/",
    "incident": _incident_path,
    "history": lambda: "/history",
    "private tenant page": _tenant_path,
    "subscribe form": lambda: "/subscribe",
    "admin sign-in": lambda: "/admin/login",
    "embed widget": lambda: "/embed",
}


def _check(page, axe, name: str) -> list[dict]:
    """axe the current page; print every finding, return the serious and critical ones."""
    found = axe(page)
    # A repeated id sends a <label for> to the wrong field; axe 4 no longer flags it.
    repeated = page.evaluate("""() => { const seen = {};
        document.querySelectorAll('[id]').forEach(e => { seen[e.id] = (seen[e.id] || 0) + 1; });
        return Object.keys(seen).filter(id => seen[id] > 1); }""")
    if repeated:
        found.append({"id": "repeated-id", "impact": "serious", "help": "ids must be unique", "targets": repeated,
                      "count": len(repeated)})
    print(f"\naxe {name} [{page.url}]: " + (json.dumps(found, ensure_ascii=False, indent=1) if found else "no violations"))
    return [dict(v, page=name) for v in axe.serious(found)]


@pytest.fixture
def demo(app, live_server):
    load_demo()
    db.session.commit()
    return live_server


@pytest.mark.parametrize("locale", ["en", "zh_Hans"])
def test_public_pages_have_no_serious_accessibility_violations(demo, new_page, axe, locale):
    page = new_page()
    bad = []
    for name, path_of in PUBLIC_PAGES.items():
        if locale != "en" and name not in CHECKED_IN_CHINESE:
            continue
        path = path_of()
        page.goto(demo(path) + ("&" if "?" in path else "?") + f"lang={locale}")
        bad += _check(page, axe, f"{name} ({locale})")
    assert not bad, json.dumps(bad, ensure_ascii=False, indent=1)


def test_admin_pages_have_no_serious_accessibility_violations(demo, new_page, axe):
    gen_admin(email="ops@example.com")
    db.session.commit()
    page = new_page()
    sign_in(page, demo)
    bad = _check(page, axe, "admin dashboard")
    for path in ADMIN_PAGES:
        page.goto(demo(path))
        bad += _check(page, axe, path)
    page.emulate_media(color_scheme="dark")
    for path in ("/admin/", "/admin/incidents/new", "/admin/tenants"):
        page.goto(demo(path))
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") != "rgb(255, 255, 255)"
        bad += _check(page, axe, f"{path} (dark)")
    assert not bad, json.dumps(bad, ensure_ascii=False, indent=1)


def test_keyboard_users_can_skip_straight_to_the_content(demo, new_page):
    page = new_page()
    page.goto(demo("/?lang=en"))
    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    assert skip.inner_text() == "Skip to content" and skip.is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    assert page.evaluate("document.getElementById('main').contains(document.activeElement)")
