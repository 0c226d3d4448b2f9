"""The status badge and the iframe widget that customers put on their own sites."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from statuspage.extensions import db
from statuspage.services.tenants import access_token
from tests.factories import gen_component, gen_incident, gen_tenant

SVG = "{http://www.w3.org/2000/svg}"


def _badge_text(resp) -> str:
    root = ET.fromstring(resp.get_data())
    return root.find(f"{SVG}title").text


def test_badge_says_all_operational_then_the_outage(client):
    gen_component("API")
    db.session.commit()
    resp = client.get("/badge.svg", headers={"Accept-Language": "en"})
    assert resp.status_code == 200
    assert resp.mimetype == "image/svg+xml"
    assert _badge_text(resp) == "status: All Systems Operational"
    assert "#1a7f37" in resp.get_data(as_text=True)

    gen_component("Payments", status="major_outage")
    db.session.commit()
    resp = client.get("/badge.svg", headers={"Accept-Language": "en"})
    assert _badge_text(resp) == "status: Major System Outage"
    assert "#b42318" in resp.get_data(as_text=True)


def test_badge_speaks_chinese_and_grows_to_fit(client):
    gen_component("API")
    db.session.commit()
    en = client.get("/badge.svg?lang=en")
    zh = client.get("/badge.svg?lang=zh_Hans")
    assert _badge_text(zh) == "状态: 所有系统运行正常"
    widths = [int(ET.fromstring(r.get_data()).get("width")) for r in (en, zh)]
    assert all(w > 60 for w in widths)
    # The choice belongs to the embedding site, not the reader's cookie for this site.
    assert "lang=" not in zh.headers.get("Set-Cookie", "")


def test_badge_counts_an_open_incident_and_ignores_a_draft(client):
    gen_component("API")
    gen_incident("Draft only", impact="critical", draft=True)
    db.session.commit()
    assert _badge_text(client.get("/badge.svg?lang=en")) == "status: All Systems Operational"
    gen_incident("Slow logins", impact="minor")
    db.session.commit()
    assert _badge_text(client.get("/badge.svg?lang=en")) == "status: Minor Service Outage"


def test_badge_is_cached_and_answers_a_conditional_get_with_304(client):
    gen_component("API")
    db.session.commit()
    first = client.get("/badge.svg?lang=en")
    assert "max-age" in first.headers["Cache-Control"] and first.headers["ETag"]
    again = client.get("/badge.svg?lang=en", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_badge_and_widget_may_be_framed_by_other_sites_but_pages_may_not(client):
    gen_tenant("Acme")
    db.session.commit()
    for path in ("/badge.svg", "/embed", "/t/acme/embed", "/t/acme/badge.svg"):
        resp = client.get(path)
        assert resp.status_code == 200, path
        assert "frame-ancestors *" in resp.headers["Content-Security-Policy"], path
        assert "X-Frame-Options" not in resp.headers, path
    assert client.get("/").headers["X-Frame-Options"] == "DENY"


def test_private_tenant_badge_needs_the_access_token(client):
    tenant = gen_tenant("Globex", private=True)
    gen_component("Ledger", status="partial_outage", tenant=tenant)
    db.session.commit()
    assert client.get("/t/globex/badge.svg").status_code == 404
    assert client.get("/t/globex/embed").status_code == 404
    assert client.get("/t/globex/badge.svg?access=forged").status_code == 404

    token = access_token(tenant)
    resp = client.get(f"/t/globex/badge.svg?access={token}&lang=en")
    assert resp.status_code == 200
    assert _badge_text(resp) == "status: Partial System Outage"
    assert "private" in resp.headers["Cache-Control"]
    # The main page's badge never shows the private tenant's component.
    assert _badge_text(client.get("/badge.svg?lang=en")) == "status: All Systems Operational"


def test_tenant_widget_lists_its_private_incident_with_links_that_keep_access(client):
    tenant = gen_tenant("Globex", private=True)
    other = gen_tenant("Initech")
    incident = gen_incident("Ledger sync delayed", impact="major", visibility="tenants", tenants=[tenant],
                            name_translations={"zh_Hans": "账本同步延迟"})
    gen_incident("Initech only", impact="critical", visibility="tenants", tenants=[other])
    db.session.commit()
    token = access_token(tenant)

    html = client.get(f"/t/globex/embed?access={token}&lang=en").get_data(as_text=True)
    assert "Partial System Outage" in html
    assert "Ledger sync delayed" in html and "Initech only" not in html
    assert f"/t/globex/incidents/{incident.id}?access={token}" in html

    zh = client.get(f"/t/globex/embed?access={token}&lang=zh_Hans").get_data(as_text=True)
    assert "部分系统中断" in zh and "账本同步延迟" in zh


def test_widget_shows_maintenance_in_progress_when_nothing_is_broken(client):
    from datetime import timedelta

    from statuspage.models import utcnow

    gen_component("API")
    gen_incident("Database upgrade", kind="maintenance", status="in_progress", impact="none",
                 scheduled_for=utcnow() - timedelta(minutes=5), scheduled_until=utcnow() + timedelta(hours=1))
    db.session.commit()
    html = client.get("/embed?lang=en").get_data(as_text=True)
    assert "Service Under Maintenance" in html
    assert _badge_text(client.get("/badge.svg?lang=en")) == "status: Service Under Maintenance"

