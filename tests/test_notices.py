"""Notices as each channel renders them (the admin preview and the worker use the same functions)."""
from __future__ import annotations

import re

from statuspage.channels.sms.render import sms_segments
from statuspage.extensions import db
from statuspage.notices import render_notice
from tests.factories import gen_incident


def test_sms_segments_count_like_carriers():
    assert sms_segments("hello") == {"encoding": "GSM-7", "characters": 5, "segments": 1}
    assert sms_segments("x" * 160)["segments"] == 1
    assert sms_segments("x" * 161)["segments"] == 2
    assert sms_segments("€" * 80) == {"encoding": "GSM-7", "characters": 160, "segments": 1}
    assert sms_segments("提现失败") == {"encoding": "UCS-2", "characters": 4, "segments": 1}
    assert sms_segments("提" * 71)["segments"] == 2


def test_lookalike_characters_do_not_force_ucs2(app, db):
    incident = gen_incident(name="API\xa0down", body="We\u2019re on it \u2014 call \u201c400-100\u201d\u2026")
    text = render_notice("sms", incident, incident.updates[0])["text"]
    assert sms_segments(text)["encoding"] == "GSM-7"
    assert "We're on it - call \"400-100\"..." in text


def test_sms_names_the_incident_link_and_opt_out_and_stays_within_the_segment_cap(app, db):
    app.config["SMS_MAX_SEGMENTS"] = 2
    incident = gen_incident(name="Withdrawals failing", body="Long text. " * 200)
    text = render_notice("sms", incident, incident.updates[0])["text"]
    assert f"http://status.test/incidents/{incident.id}" in text and "Reply STOP to opt out" in text
    assert sms_segments(text)["segments"] <= 2


def test_email_is_rendered_in_the_subscribers_language(app, db):
    incident = gen_incident(name="Withdrawals failing", body="We are investigating.")
    incident.name_translations = {"zh_Hans": "提现失败"}
    update = incident.updates[0]
    update.body_translations = {"zh_Hans": "我们正在调查。请拨打热线 400-100。"}
    zh = render_notice("email", incident, update, "zh_Hans")
    en = render_notice("email", incident, update, "en")
    assert "提现失败" in zh["subject"] and "400-100" in zh["text"] and "提现失败" in zh["html"]
    assert "Withdrawals failing" in en["subject"] and "investigating" in en["text"]
    assert "\n" not in zh["subject"]


def test_email_subject_is_the_incident_prefixed_by_its_current_state(app, db):
    incident = gen_incident(name="DB slow", impact="critical", status="identified")
    msg = render_notice("email", incident, incident.updates[0])
    assert msg["subject"] == "[Identified] DB slow"


def test_each_subscriber_gets_their_own_links_from_the_shared_rendering(app, db):
    from tests.factories import gen_subscriber

    incident = gen_incident(name="Withdrawals failing", body="Call the hotline.")
    update = incident.updates[0]
    alice = gen_subscriber("alice@example.com")
    bob = gen_subscriber("bob@example.com")
    for_alice = render_notice("email", incident, update, "en", alice)
    for_bob = render_notice("email", incident, update, "en", bob)
    for sub, msg in ((alice, for_alice), (bob, for_bob)):
        other = bob if sub is alice else alice
        for part in (msg["text"], msg["html"], msg["headers"]["List-Unsubscribe"]):
            assert f"/unsubscribe/{sub.token}" in part
            assert other.token not in part and "standin" not in part


def test_a_renamed_incident_is_rendered_afresh(app, db):
    from tests.factories import gen_subscriber

    incident = gen_incident(name="Withdrawals failing")
    sub = gen_subscriber()
    assert "Withdrawals failing" in render_notice("email", incident, incident.updates[0], "en", sub)["subject"]
    incident.name = "Withdrawals delayed"
    db.session.flush()
    assert "Withdrawals delayed" in render_notice("email", incident, incident.updates[0], "en", sub)["subject"]


# -- issue 12: what the customer reads ------------------------------------------------------------

HOTLINE_LAST = ("Withdrawal requests in the CRM are failing for some customers because the payment gateway rejects "
                "the settlement batch. We are moving the batch to the standby gateway, which takes a while, and "
                "every pending withdrawal will be processed by hand in the order it was received. There is no need "
                "to submit a request again; duplicates slow everyone down. Balances shown in the app are right. "
                "We will post again within the hour with progress, and when the standby gateway has taken over.\n\n"
                "Call the hotline 400-810-8888 or email support@example.com and we will process withdrawals by hand.")


def test_sms_puts_the_hotline_and_link_before_the_detail_and_cuts_only_the_detail(app, db):
    app.config["SMS_MAX_SEGMENTS"] = 2
    incident = gen_incident(name="CRM withdrawals failing", body=HOTLINE_LAST)
    sms = render_notice("sms", incident, incident.updates[0])
    text = sms["text"]
    assert sms_segments(text)["segments"] <= 2
    link = f"http://status.test/incidents/{incident.id}"
    assert "400-810-8888" in text and link in text and "Reply STOP to opt out" in text
    assert text.index("400-810-8888") < text.index(link) < text.index("Withdrawal requests")
    assert "..." in text and "standby gateway has taken over" not in text


def test_sms_cut_never_splits_a_character_nor_a_phone_number(app, db):
    app.config["SMS_MAX_SEGMENTS"] = 2
    for filler in ("😀 ", "€ ", "提现 "):
        body = "Call the hotline 400-810-8888.\n\n" + filler * 40 + "also +86 10 6552 9988 " + filler * 200
        incident = gen_incident(name="API down", body=body)
        sms = render_notice("sms", incident, incident.updates[0])
        text = sms["text"]
        assert text.encode("utf-16-le").decode("utf-16-le") == text  # no lone surrogate
        assert sms_segments(text)["segments"] <= 2, filler
        assert "400-810-8888" in text
        kept_second = "+86 10 6552 9988" in text
        assert kept_second or not re.search(r"\+86[\d ]*\.\.\.", text)  # never half a number
        assert kept_second or "+86 10 6552 9988" in sms["cut"]


def test_the_preview_warns_when_a_phone_number_link_or_placeholder_would_be_cut(app, db, client, login):
    from tests.factories import gen_setting

    gen_setting(value={"workaround": "use the mobile app at https://m.example.com/withdraw"})
    db.session.commit()
    login("responder")
    body = ("Call the hotline 400-810-8888.\n\n" + "The gateway rejects the batch. " * 30
            + "Meanwhile use the mobile app at https://m.example.com/withdraw or call +86 10 6552 9988.")
    page = client.post("/admin/incidents/new", data={
        "name": "CRM withdrawals failing", "status": "investigating", "impact": "major", "body": body,
        "visibility": "public", "deliver_notifications": "on", "action": "preview", "audience": "everyone"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200, html[:500]
    warning = html[html.index('class="sms-cut"'):]
    warning = warning[:warning.index("</ul>")]
    assert "+86 10 6552 9988" in warning and "https://m.example.com/withdraw" in warning
    assert "use the mobile app at https://m.example.com/withdraw" in warning


def test_html_email_has_a_status_colour_a_prominent_hotline_tel_links_and_dark_mode(app, db):
    incident = gen_incident(name="CRM withdrawals failing", impact="critical",
                            body="Payments are failing.\n\nCall the hotline 400-810-8888 or +1 415 555 2671.")
    html = render_notice("email", incident, incident.updates[0])["html"]
    assert 'href="tel:+864008108888"' in html and 'href="tel:+14155552671"' in html
    assert "background:#cf222e" in html  # critical, unresolved: red band
    assert '<meta name="color-scheme" content="light dark">' in html
    assert "@media (prefers-color-scheme: dark)" in html
    action = html.index("What to do:")
    assert action < html.index("Call the hotline") < html.index("Payments are failing")
    resolved = gen_incident(name="Done", impact="critical", status="resolved", body="Fixed.")
    html = render_notice("email", resolved, resolved.updates[0])["html"]
    assert "background:#1a7f37" in html and "Critical" not in html


def test_text_email_comes_complete_with_its_links_on_their_own_lines(app, db):
    incident = gen_incident(name="CRM withdrawals failing", body="Payments are failing.\n\nCall the hotline 400-810-8888.")
    text = render_notice("email", incident, incident.updates[0])["text"]
    lines = text.splitlines()
    assert f"http://status.test/incidents/{incident.id}" in lines
    assert "http://status.test/unsubscribe/PREVIEW" in lines
    assert "Call the hotline 400-810-8888." in lines and "Payments are failing." in lines


def test_webhook_and_sms_link_a_tenants_subscriber_to_the_tenants_page(app, db):
    from tests.factories import gen_subscriber, gen_tenant

    northwind = gen_tenant("Northwind")
    globex = gen_tenant("Globex", private=True)
    incident = gen_incident(name="Ledger delayed", visibility="tenants", tenants=[northwind, globex])
    update = incident.updates[0]
    hook = gen_subscriber("https://hooks.example.com/x", channel="webhook", tenant=northwind)
    phone = gen_subscriber("+14155552671", channel="sms", tenant=globex)
    url = render_notice("webhook", incident, update, "en", hook)["json"]["incident"]["url"]
    assert url == f"http://status.test/t/northwind/incidents/{incident.id}"
    text = render_notice("sms", incident, update, "en", phone)["text"]
    assert f"http://status.test/t/globex/incidents/{incident.id}?s=" in text and text.startswith("[Globex]")


def test_a_what_to_do_line_that_names_itself_is_not_labelled_twice(app):
    """The demo playbook's line starts "**What to do now:**": the email must not say "What to do:" above it."""
    incident = gen_incident("CRM withdrawals failing", body=(
        "Withdrawals fail.\n\n**What to do now:** call our hotline 400-820-8820 and we process them by hand."))
    db.session.commit()
    text = render_notice("email", incident, incident.updates[0], "en")["text"]
    assert "What to do now: call our hotline 400-820-8820" in text
    assert "What to do:" not in text
    zh = gen_incident("出金失败", body="出金失败。\n\n**现在怎么办：** 请拨打热线 400-820-8820。")
    db.session.commit()
    zh_text = render_notice("email", zh, zh.updates[0], "zh_Hans")["text"]
    assert "现在怎么办： 请拨打热线 400-820-8820" in zh_text.replace("：**", "：") or "现在怎么办：请拨打热线" in zh_text
    assert "您可以这样做：" not in zh_text
