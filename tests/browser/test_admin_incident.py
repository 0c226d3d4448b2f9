"""An operator opens an incident from a playbook in the admin UI; readers see it in English and Chinese."""
from __future__ import annotations

import re

import pytest

from statuspage.extensions import db
from statuspage.models import Incident, Playbook
from tests.browser.conftest import sign_in
from tests.factories import gen_admin, gen_component, gen_tenant

pytestmark = pytest.mark.browser


def _playbook(component) -> Playbook:
    template = Playbook(
        name="Withdrawals failing", impact="major", status="identified", component_ids=[component.id],
        defaults={"hotline": "400-820-8820"},
        texts={"en": {"title": "Withdrawals are failing",
                      "body": "Withdrawal requests fail. Call our hotline {hotline} and we process them by hand."},
               "zh_Hans": {"title": "出金申请失败",
                           "body": "出金申请暂时无法提交。请拨打热线 {hotline}，我们将人工为您处理。"}})
    db.session.add(template)
    db.session.flush()
    return template


def test_admin_posts_an_incident_from_a_playbook_and_readers_see_it_in_both_languages(app, live_server, new_page):
    withdrawals = gen_component("Withdrawals")
    _playbook(withdrawals)
    gen_admin(email="ops@example.com", role="responder")
    db.session.commit()

    admin = new_page(locale="en-US")
    sign_in(admin, live_server)

    admin.goto(live_server("/admin/incidents/new"))
    with admin.expect_navigation():
        admin.get_by_label("Playbook", exact=True).select_option(label="Withdrawals failing")  # fills the form at once
    assert admin.locator("#f-name").input_value() == "Withdrawals are failing"
    assert "400-820-8820" in admin.locator("#f-body").input_value()
    admin.get_by_label(re.compile(r"^Everyone")).check()  # the audience is a choice, never a default
    admin.get_by_role("button", name="Post incident").click()
    admin.wait_for_url(re.compile(r"/admin/incidents/\d+$"))

    reader = new_page(locale="en-US")
    reader.goto(live_server("/?lang=en"))
    active = reader.locator("section", has=reader.get_by_role("heading", name="Active incidents"))
    assert active.get_by_role("link", name="Withdrawals are failing").is_visible()
    assert "Call our hotline 400-820-8820" in active.inner_text()
    assert "Partial System Outage" in reader.locator("#overall-status").inner_text()

    reader.goto(live_server("/?lang=zh_Hans"))
    active = reader.locator("section", has=reader.get_by_role("heading", name="进行中的事件"))
    active.get_by_role("link", name="出金申请失败").click()
    reader.wait_for_url(re.compile(r"/incidents/\d+"))
    body = reader.locator("main").inner_text()
    assert "请拨打热线 400-820-8820" in body and "已确认原因" in body
    assert reader.locator("html").get_attribute("lang") == "zh-Hans"


def test_picking_a_playbook_fills_the_form_and_posts_nothing(app, live_server, new_page):
    """An operator in a hurry types the title and ticks the tenant first, then picks the playbook."""
    withdrawals = gen_component("Withdrawals")
    _playbook(withdrawals)
    gen_tenant("Northwind Trading", "northwind")
    gen_admin(email="ops@example.com", role="responder")
    db.session.commit()

    admin = new_page(locale="en-US")
    sign_in(admin, live_server)
    admin.goto(live_server("/admin/incidents/new"))
    admin.locator("#f-name").fill("Northwind: withdrawals failing")
    admin.get_by_label("Only the tenants ticked below").check()
    admin.get_by_label("Northwind Trading").check()
    with admin.expect_navigation():
        admin.get_by_label("Playbook", exact=True).select_option(label="Withdrawals failing")

    assert re.search(r"/admin/incidents/new", admin.url), admin.url
    assert admin.locator("#f-name").input_value() == "Northwind: withdrawals failing"
    assert admin.get_by_label("Northwind Trading").is_checked()
    assert "400-820-8820" in admin.locator("#f-body").input_value()
    db.session.expire_all()
    assert db.session.query(Incident).count() == 0  # nothing was posted, nobody was told
