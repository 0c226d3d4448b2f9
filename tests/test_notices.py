"""Notices as each channel renders them (the admin preview and the worker use the same functions)."""
from __future__ import annotations

from statuspage.channels.sms.render import sms_segments
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
