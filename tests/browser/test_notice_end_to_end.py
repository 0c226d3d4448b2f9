"""End to end, as an operator and a customer live it: a tenants-only notice posted from a playbook in the
admin, the email as the loopback SMTP server received it, and its link followed by a stranger's browser."""
from __future__ import annotations

import re
from email import message_from_bytes, policy

import pytest

from statuspage.delivery.runner import drain_outbox
from statuspage.extensions import db
from statuspage.models import Delivery, Incident, Playbook
from tests.browser.conftest import sign_in
from tests.doubles.smtp import smtp_sink  # noqa: F401  (fixture)
from tests.factories import gen_admin, gen_component, gen_subscriber, gen_tenant

pytestmark = pytest.mark.browser

CHINESE = ("客户关系管理系统的提现申请目前处理失败，我们的工程师正在紧急排查问题原因。"
           "请拨打热线电话，我们将为您人工处理提现申请。") * 8


@pytest.fixture
def app_config(smtp_sink):  # noqa: F811
    return {"WTF_CSRF_ENABLED": True, **smtp_sink.config, "SITE_NAME": "Acme Status"}


def _playbook(component) -> None:
    db.session.add(Playbook(
        name="Withdrawals failing", impact="major", status="identified", component_ids=[component.id],
        defaults={"hotline": "400-820-8820"},
        texts={"en": {"title": "Withdrawals are failing",
                      "body": "**What to do now:** call our hotline {hotline} and we process them by hand.\n\n"
                              "Withdrawal requests fail."},
               "zh_Hans": {"title": "出金申请失败", "body": "**现在怎么办：** 请拨打热线 {hotline}。\n\n出金申请暂时无法提交。"}}))


@pytest.mark.parametrize("private", [False, True], ids=["public-tenant", "private-tenant"])
def test_a_tenants_only_notice_from_a_playbook_reaches_the_customer_and_its_link_opens(
        app, live_server, new_page, smtp_sink, private):  # noqa: F811
    crm = gen_component("CRM")
    _playbook(crm)
    tenant = gen_tenant("Northwind Trading", "northwind", private=private)
    gen_tenant("Globex", "globex")
    gen_subscriber("trader@northwind.example", tenant=tenant)
    gen_subscriber("zh@northwind.example", tenant=tenant, locale="zh_Hans")
    gen_subscriber("desk@globex.example")
    gen_admin(email="ops@example.com", role="responder")
    db.session.commit()

    admin = new_page()
    sign_in(admin, live_server)
    admin.goto(live_server("/admin/incidents/new"))
    admin.locator("#f-name").fill("Northwind: CRM withdrawals failing")
    admin.get_by_label("Only the tenants ticked below").check()
    admin.get_by_label(re.compile("^Northwind Trading")).check()
    admin.get_by_label(re.compile("^Tenants only")).check()
    with admin.expect_navigation():
        admin.get_by_label("Playbook", exact=True).select_option(label="Withdrawals failing")
    admin.eval_on_selector("details:has(#f-body_zh_Hans)", "d => d.open = true")
    admin.locator("#f-body_zh_Hans").fill(admin.locator("#f-body_zh_Hans").input_value() + "\n\n" + CHINESE)
    # What the browser sends on Post, kept to send again as Back + Post (or a second tab) would.
    sent_form = admin.evaluate("""() => { const f = document.querySelector('#f-name').form;
        const out = new URLSearchParams(new FormData(f)); out.set('action', 'post'); return out.toString(); }""")
    admin.get_by_role("button", name="Post incident").click()
    admin.wait_for_url(re.compile(r"/admin/incidents/\d+$"))
    again = admin.request.post(live_server("/admin/incidents/new"), data=sent_form,
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert again.status == 200 and "Already posted" in again.text()

    drain_outbox()
    db.session.expire_all()
    assert db.session.query(Incident).count() == 1
    assert {d.status for d in db.session.query(Delivery)} == {"sent"}
    received = {m["rcpt_tos"][0]: m["data"] for m in smtp_sink.messages}
    assert sorted(received) == ["trader@northwind.example", "zh@northwind.example"]  # never Globex's desk

    for address, raw in received.items():
        assert max(len(line) for line in raw.split(b"\n")) <= 998
        mail = message_from_bytes(raw, policy=policy.strict)
        assert mail["From"].addresses[0].display_name == "Northwind Trading"
        text = mail.get_body(("plain",)).get_content()
        assert "400-820-8820" in text
        if address.startswith("zh"):
            assert CHINESE in text.replace("\n", "")  # the whole paragraph, whatever the transfer encoding
        link = re.search(r"http://127\.0\.0\.1:\d+/t/northwind/incidents/\d+\S*", text).group(0)
        html = mail.get_body(("html",)).get_content()
        assert 'href="tel:' in html

        stranger = new_page()  # a fresh browser: no cookie, no access link of its own
        response = stranger.goto(link)
        assert response.status == 200, link
        assert ("Northwind: CRM withdrawals failing" in stranger.content()
                or "出金申请失败" in stranger.content())
