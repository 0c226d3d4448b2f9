"""Notices in the subscriber's language: Chinese email and SMS, English fallback, UCS-2 SMS counting."""
from __future__ import annotations

import math

from statuspage.channels.sms.render import sms_segments
from statuspage.notices import render_notice
from statuspage.extensions import db
from tests.factories import gen_incident

ZH_NAME = "CRM 出金申请失败"
ZH_BODY = "出金申请暂时无法提交。请拨打热线 400-820-8820 或发邮件至 support@example.com，我们将人工为您处理出金。"


def _incident(**kw):
    incident = gen_incident("CRM withdrawals failing", impact="major",
                            body="Withdrawals fail. Call 400-820-8820 and we process them by hand.",
                            name_translations={"zh_Hans": ZH_NAME}, **kw)
    db.session.refresh(incident)
    update = incident.updates[0]
    return incident, update


def test_chinese_sms_is_counted_as_ucs2_with_67_characters_a_segment(app):
    incident, update = _incident()
    update.body_translations = {"zh_Hans": ZH_BODY}
    db.session.flush()
    text = render_notice("sms", incident, update, "zh_Hans")["text"]
    assert ZH_NAME in text and "回复 STOP 退订" in text and "调查中" in text
    counted = sms_segments(text)
    assert counted["encoding"] == "UCS-2"
    assert counted["characters"] == len(text) > 70
    assert counted["segments"] == math.ceil(len(text) / 67)


def test_english_sms_with_the_same_facts_stays_gsm7(app):
    incident, update = _incident()
    text = render_notice("sms", incident, update, "en")["text"]
    assert "Reply STOP to opt out" in text
    assert sms_segments(text)["encoding"] == "GSM-7"


def test_chinese_email_uses_the_chinese_text_and_labels(app):
    incident, update = _incident()
    update.body_translations = {"zh_Hans": ZH_BODY}
    db.session.flush()
    message = render_notice("email", incident, update, "zh_Hans")
    assert message["subject"] == f"[调查中] {ZH_NAME}"
    assert ZH_BODY in message["text"] and "严重" in message["text"]
    assert "您可以这样做：" in message["text"]
    assert "退订：" in message["text"] and "关注此事件：" in message["text"]
    assert "Unsubscribe" not in message["text"]


def test_a_notice_without_chinese_text_falls_back_to_the_default_language_with_chinese_labels(app):
    incident, update = _incident()
    incident.name_translations = {}
    db.session.flush()
    message = render_notice("email", incident, update, "zh_Hans")
    assert "CRM withdrawals failing" in message["subject"]
    assert "Withdrawals fail. Call 400-820-8820" in message["text"]
    assert "调查中" in message["text"]


def test_import_report_gives_its_reasons_in_the_operators_language(client):
    from statuspage.services.accounts import issue_api_token
    from tests.factories import gen_admin

    _token, raw = issue_api_token(gen_admin())
    db.session.commit()
    csv_text = "email,phone,tenant,components,locale\nnot-an-email,,,,\nann@example.com,,nowhere,,\n"
    resp = client.post("/api/admin/v1/subscribers/import", data=csv_text.encode(),
                       headers={"Authorization": f"Bearer {raw}", "Content-Type": "text/csv",
                                "Accept-Language": "zh-CN"})
    assert resp.status_code == 422
    reasons = [e["reason"] for e in resp.json["errors"]]
    assert reasons == ["邮箱地址无效：“not-an-email”", "未知租户“nowhere”"]
