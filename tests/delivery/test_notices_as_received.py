"""Notices checked as received (issue 12): the bytes the loopback SMTP server took, parsed strictly,
and the links in them followed by a stranger (a client with no cookie)."""
from __future__ import annotations

import logging
import re
import smtplib
from email import message_from_bytes, policy

import pytest

from statuspage.delivery.runner import drain_outbox
from statuspage.extensions import db as _db
from statuspage.models import Delivery
from statuspage.services.fanout import fan_out_update
from statuspage.services.tenants import rotate_access
from tests.delivery.helpers import outbox_rows
from tests.doubles.smtp import smtp_sink  # noqa: F401  (fixture)
from tests.factories import gen_incident, gen_subscriber, gen_tenant, gen_update

# 20,000 characters in one paragraph: no line break anywhere, as an operator pastes a long report.
ENGLISH_20K = ("Withdrawal requests in the CRM are failing for some customers because the payment gateway "
               "rejects the settlement batch; we are moving the batch to the standby gateway and will process "
               "every pending withdrawal by hand in the order it was received. ") * 80
ENGLISH_20K = ENGLISH_20K[:20000].rstrip()
CHINESE_2K = ("客户管理系统的提现申请目前部分失败，原因是支付网关拒绝了结算批次；我们正在把批次切换到备用网关，"
              "并将按照申请时间顺序人工处理每一笔待处理的提现，请您耐心等待，不需要重复提交申请。") * 25
CHINESE_2K = CHINESE_2K[:2000]


@pytest.fixture
def app_config(smtp_sink):  # noqa: F811
    return {**smtp_sink.config, "SITE_NAME": "Acme Status"}


def _post(db, incident, *subscribers):
    fan_out_update(incident.updates[0] if len(incident.updates) == 1 else incident.updates[0])
    db.session.commit()


def _received(smtp_sink, address):  # noqa: F811
    return [m for m in smtp_sink.messages if m["rcpt_tos"] == [address]]


def _strict(raw: bytes):
    return message_from_bytes(raw, policy=policy.strict)


def _link(text: str, prefix: str) -> str:
    match = re.search(re.escape(prefix) + r"\S*", text)
    assert match, f"no link starting {prefix} in {text!r}"
    return match.group(0)


# -- 1. dead link ---------------------------------------------------------------------------------


def test_a_tenants_only_notice_links_to_the_tenants_page_and_a_stranger_can_open_it(app, db, smtp_sink):  # noqa: F811
    northwind = gen_tenant("Northwind")
    sub = gen_subscriber("ops@northwind.example", tenant=northwind)
    incident = gen_incident(name="CRM withdrawals failing", visibility="tenants", tenants=[northwind])
    _post(db, incident, sub)
    drain_outbox()
    (received,) = _received(smtp_sink, sub.address)
    text = _strict(received["data"]).get_body(("plain",)).get_content()
    link = _link(text, "http://status.test/")
    assert link == f"http://status.test/t/northwind/incidents/{incident.id}"
    assert f'href="{link}"' in _strict(received["data"]).get_body(("html",)).get_content()
    stranger = app.test_client()
    page = stranger.get(link.removeprefix("http://status.test"))
    assert page.status_code == 200 and "CRM withdrawals failing" in page.get_data(as_text=True)


def _private_notice(db, smtp_sink):  # noqa: F811
    globex = gen_tenant("Globex", private=True)
    sub = gen_subscriber("ops@globex.example", tenant=globex)
    incident = gen_incident(name="Globex ledger delayed", visibility="tenants", tenants=[globex])
    _post(db, incident, sub)
    drain_outbox()
    (received,) = _received(smtp_sink, sub.address)
    text = _strict(received["data"]).get_body(("plain",)).get_content()
    link = _link(text, f"http://status.test/t/globex/incidents/{incident.id}")
    return globex, sub, incident, link.removeprefix("http://status.test")


def test_a_private_tenants_notice_link_opens_without_a_cookie(app, db, smtp_sink):  # noqa: F811
    _globex, _sub, incident, path = _private_notice(db, smtp_sink)
    assert "?s=" in path
    page = app.test_client().get(path)
    assert page.status_code == 200 and "Globex ledger delayed" in page.get_data(as_text=True)
    assert "set-cookie" not in {k.lower() for k in page.headers.keys()}
    # The same page without the signed part is still locked to strangers.
    assert app.test_client().get(path.split("?")[0]).status_code == 404


def test_a_private_tenants_notice_link_stops_opening_after_unsubscribe(app, db, smtp_sink):  # noqa: F811
    _globex, sub, _incident, path = _private_notice(db, smtp_sink)
    stranger = app.test_client()
    assert stranger.post(f"/unsubscribe/{sub.token}", data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert app.test_client().get(path).status_code == 404


def test_a_private_tenants_notice_link_stops_opening_after_the_access_is_rotated(app, db, smtp_sink):  # noqa: F811
    globex, _sub, _incident, path = _private_notice(db, smtp_sink)
    rotate_access(globex)
    db.session.commit()
    assert app.test_client().get(path).status_code == 404


def test_a_signed_link_opens_only_its_own_tenants_pages(app, db, smtp_sink):  # noqa: F811
    gen_tenant("Initech", private=True)
    _globex, _sub, incident, path = _private_notice(db, smtp_sink)
    other = path.replace("/t/globex/", "/t/initech/")
    assert app.test_client().get(other).status_code == 404


# -- 2. encoding ----------------------------------------------------------------------------------


def test_the_smtp_double_refuses_a_line_over_998_octets_like_a_real_server(smtp_sink):  # noqa: F811
    with smtplib.SMTP("127.0.0.1", smtp_sink.port, timeout=10) as client:
        with pytest.raises(smtplib.SMTPDataError) as refused:
            client.sendmail("a@status.test", ["b@example.com"], b"Subject: x\r\n\r\n" + b"a" * 1200 + b"\r\n")
    assert refused.value.smtp_code == 500 and b"Line too long" in refused.value.smtp_error
    assert smtp_sink.messages == []


def test_a_20000_character_english_and_a_2000_character_chinese_paragraph_arrive_whole(app, db, smtp_sink):  # noqa: F811
    northwind = gen_tenant("Northwind 北风")
    en = gen_subscriber("en@northwind.example", tenant=northwind)
    zh = gen_subscriber("zh@northwind.example", tenant=northwind, locale="zh_Hans")
    incident = gen_incident(name="CRM withdrawals failing", body=ENGLISH_20K, visibility="tenants",
                            tenants=[northwind])
    incident.name_translations = {"zh_Hans": "客户管理系统提现失败"}
    incident.updates[0].body_translations = {"zh_Hans": CHINESE_2K}
    _post(db, incident, en, zh)
    drain_outbox()
    assert {r.status for r in outbox_rows(db, incident.updates[0])} == {"sent"}
    for sub, paragraph, title in ((en, ENGLISH_20K, "CRM withdrawals failing"), (zh, CHINESE_2K, "客户管理系统提现失败")):
        (received,) = _received(smtp_sink, sub.address)
        raw = received["data"]
        assert max(len(line) for line in raw.split(b"\r\n")) <= 998
        msg = _strict(raw)
        assert not msg.defects and all(not part.defects for part in msg.walk())
        assert title in msg["Subject"] and msg["From"].addresses[0].display_name == "Northwind 北风"
        for part in msg.walk():
            if part.get_content_maintype() == "text":
                assert part["Content-Transfer-Encoding"] == "quoted-printable"
                assert part.get_content_charset() == "utf-8"
        plain = msg.get_body(("plain",))
        html = msg.get_body(("html",))
        assert paragraph in plain.get_content()
        assert paragraph in html.get_content()
        assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]


def test_a_permanent_refusal_of_our_own_message_is_logged_as_a_defect(app, db, smtp_sink, monkeypatch, caplog):  # noqa: F811
    from statuspage.channels import email as email_channel

    real = email_channel.message_bytes

    def with_a_long_header(message, **kw):  # a regression that puts a 1,200-octet line in the message
        return real(message, **kw).replace(b"\r\n\r\n", b"\r\nX-Note: " + b"a" * 1200 + b"\r\n\r\n", 1)

    monkeypatch.setattr(email_channel, "message_bytes", with_a_long_header)
    sub = gen_subscriber("user@example.com")
    incident = gen_incident(name="DB slow")
    _post(db, incident, sub)
    with caplog.at_level(logging.ERROR):
        drain_outbox()
    (row,) = outbox_rows(db, incident.updates[0])
    assert row.status == "failed" and "500" in row.last_error
    assert any(r.levelno == logging.ERROR and "defect" in r.getMessage() for r in caplog.records), (row.last_error, [(r.name, r.getMessage()[:100]) for r in caplog.records])


# -- 3. threading, subjects, sender ---------------------------------------------------------------


def test_later_notices_of_an_incident_thread_under_the_subscribers_first_one(app, db, smtp_sink):  # noqa: F811
    northwind = gen_tenant("Northwind")
    sub = gen_subscriber("ops@northwind.example", tenant=northwind)
    incident = gen_incident(name="CRM withdrawals failing", impact="major", tenants=[northwind])
    _post(db, incident, sub)
    drain_outbox()
    resolved = gen_update(incident, status="resolved", body="Fixed; every withdrawal is processed.")
    incident.status = "resolved"
    fan_out_update(resolved)
    db.session.commit()
    drain_outbox()
    first, second = (_strict(m["data"]) for m in _received(smtp_sink, sub.address))
    assert first["Message-ID"] == f"<incident-{incident.id}.sub-{sub.id}@status.test>"
    assert first["In-Reply-To"] is None
    assert second["Message-ID"] == f"<incident-{incident.id}.update-{resolved.id}.sub-{sub.id}@status.test>"
    assert second["In-Reply-To"] == first["Message-ID"] and second["References"] == first["Message-ID"]
    rows = {r.update_id: r for r in _db.session.query(Delivery).filter_by(subscriber_id=sub.id)}
    assert rows[resolved.id].provider_id == second["Message-ID"]
    assert first["Subject"] == "[Investigating] CRM withdrawals failing"
    assert second["Subject"] == "[Resolved] CRM withdrawals failing"
    second_text = second.get_body(("plain",)).get_content()
    assert "Major" not in second_text and "Impact" not in second_text
    for msg in (first, second):
        assert msg["From"].addresses[0].display_name == "Northwind"
        assert "subscribed to Northwind" in msg.get_body(("plain",)).get_content()


def test_a_main_page_subscriber_hears_from_the_site(app, db, smtp_sink):  # noqa: F811
    sub = gen_subscriber("user@example.com")
    incident = gen_incident(name="DB slow")
    _post(db, incident, sub)
    drain_outbox()
    (received,) = _received(smtp_sink, sub.address)
    msg = _strict(received["data"])
    assert msg["From"].addresses[0].display_name == "Acme Status"
    assert "subscribed to Acme Status" in msg.get_body(("plain",)).get_content()
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f"<http://status.test/unsubscribe/{sub.token}>" in msg["List-Unsubscribe"]
    # Written as is: an RFC 2047 encoded-word in a URL header is not a link to any client.
    raw = received["data"]
    assert f"\r\n <mailto:status@status.test?subject=unsubscribe%20{sub.token}>\r\n".encode() in raw
    assert b"=?utf-8?q?=3Cmailto" not in raw


def test_a_confirmation_started_on_a_tenants_page_comes_from_the_tenant(app, db, client, smtp_sink):  # noqa: F811
    gen_tenant("Northwind")
    db.session.commit()
    resp = client.post("/subscribe", json={"email": "new@northwind.example", "tenant": "northwind"})
    assert resp.status_code == 202
    drain_outbox()
    (received,) = _received(smtp_sink, "new@northwind.example")
    msg = _strict(received["data"])
    assert msg["From"].addresses[0].display_name == "Northwind"
    assert "Northwind" in msg["Subject"] and "Acme Status" not in msg.get_body(("plain",)).get_content()
    confirm = _link(msg.get_body(("plain",)).get_content(), "http://status.test/subscriptions/confirm/")
    page = client.get(confirm.removeprefix("http://status.test")).get_data(as_text=True)
    assert "Northwind" in page and "Acme Status" not in page
