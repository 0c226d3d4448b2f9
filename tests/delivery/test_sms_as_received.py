"""SMS as the Twilio double receives them (issue 12): long English and Chinese notices keep the hotline and the link."""
from __future__ import annotations

import pytest

from statuspage.channels.sms.render import sms_segments
from statuspage.delivery.runner import drain_outbox
from statuspage.services.fanout import fan_out_update
from tests.delivery.helpers import outbox_rows
from tests.delivery.test_notices_as_received import CHINESE_2K, ENGLISH_20K
from tests.doubles.twilio import twilio_double  # noqa: F401  (fixture)
from tests.factories import gen_incident, gen_subscriber, gen_tenant

pytestmark = pytest.mark.usefixtures("fresh_limits")


@pytest.fixture
def app_config(twilio_double):  # noqa: F811
    return {**twilio_double.config, "SMS_RATE_PER_SECOND": 100}


def test_long_english_and_chinese_notices_reach_twilio_with_hotline_and_link(app, db, twilio_double):  # noqa: F811
    globex = gen_tenant("Globex", private=True)
    en = gen_subscriber("+14155552671", channel="sms", tenant=globex)
    zh = gen_subscriber("+8613800138000", channel="sms", tenant=globex, locale="zh_Hans")
    incident = gen_incident(name="CRM withdrawals failing", visibility="tenants", tenants=[globex],
                            body=ENGLISH_20K + "\n\nCall the hotline 400-810-8888.")
    incident.name_translations = {"zh_Hans": "提现失败"}
    incident.updates[0].body_translations = {"zh_Hans": CHINESE_2K + "\n\n请拨打热线 400-810-8888。"}
    fan_out_update(incident.updates[0])
    db.session.commit()
    drain_outbox()
    bodies = {r["form"]["To"]: r["form"]["Body"] for r in twilio_double.sent()}
    link = f"http://status.test/t/globex/incidents/{incident.id}?s="
    for sub in (en, zh):
        body = bodies[sub.address]
        assert "400-810-8888" in body and link in body
        assert sms_segments(body)["segments"] <= int(app.config.get("SMS_MAX_SEGMENTS", 4))
        assert body.index("400-810-8888") < body.index(link)
    assert sms_segments(bodies[zh.address])["encoding"] == "UCS-2"
    assert {r.status for r in outbox_rows(db, incident.updates[0])} == {"sent"}
