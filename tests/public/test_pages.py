"""The public pages as a visitor reads them."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from statuspage.extensions import db
from statuspage.models import Incident, utcnow
from tests.factories import gen_component, gen_group, gen_incident, gen_tenant, gen_update


def text_of(resp) -> str:
    return resp.get_data(as_text=True)


def test_empty_site_says_all_systems_operational(client):
    resp = client.get("/")
    assert resp.status_code == 200
    assert "All Systems Operational" in text_of(resp)


@pytest.mark.parametrize("status, wording", [
    ("degraded_performance", "Minor Service Outage"),
    ("partial_outage", "Partial System Outage"),
    ("major_outage", "Major System Outage"),
])
def test_banner_uses_statuspage_wording_for_the_worst_component(app, client, status, wording):
    gen_component("API", status=status)
    gen_component("Web")
    db.session.commit()
    assert wording in text_of(client.get("/"))


def test_components_are_listed_by_group_with_status_as_text(app, client):
    core = gen_group("Core platform")
    gen_component("CRM", status="partial_outage", group=core)
    gen_component("API", group=core)
    db.session.commit()
    html = text_of(client.get("/"))
    group_at = html.index("Core platform")
    assert group_at < html.index("CRM") and group_at < html.index(">API<") if ">API<" in html else True
    crm_row = html[html.index("CRM"):html.index("CRM") + 400]
    assert "Partial outage" in crm_row  # words, not only a colour
    assert 'aria-hidden="true"' in crm_row  # the icon is decoration for screen readers


def test_active_incident_shows_its_latest_update(app, client):
    incident = gen_incident("Withdrawals failing", body="Looking into it.")
    gen_update(incident, status="identified", body="Call the hotline **400-820-8820**.",
               display_at=utcnow() + timedelta(seconds=1))
    db.session.commit()
    html = text_of(client.get("/"))
    assert "Withdrawals failing" in html
    assert "<strong>400-820-8820</strong>" in html
    assert "Looking into it." not in html  # only the latest update on the front page


def test_resolved_incident_is_not_active(app, client):
    gen_incident("Old trouble", status="resolved", resolved_at=utcnow())
    db.session.commit()
    html = text_of(client.get("/"))
    assert "Old trouble" not in html
    assert "Old trouble" in text_of(client.get("/history"))


def test_active_and_upcoming_maintenance_are_shown(app, client):
    now = utcnow()
    gen_incident("Database upgrade", kind="maintenance", status="scheduled", impact="minor",
                 scheduled_for=now + timedelta(days=2), scheduled_until=now + timedelta(days=2, hours=2))
    gen_incident("Network work", kind="maintenance", status="in_progress", impact="minor",
                 scheduled_for=now - timedelta(hours=1), scheduled_until=now + timedelta(hours=1))
    db.session.commit()
    html = text_of(client.get("/"))
    assert "Database upgrade" in html and "Network work" in html
    assert "In progress" in html and "Scheduled" in html


def test_uptime_bars_have_a_text_label_per_day(app, client):
    api = gen_component("API")
    api.created_at = utcnow() - timedelta(days=200)
    start = (utcnow() - timedelta(days=3)).replace(hour=6, minute=0, second=0, microsecond=0)
    gen_incident("API down", status="resolved", components=[api], started_at=start,
                 resolved_at=start + timedelta(hours=6))
    db.session.commit()
    html = text_of(client.get("/"))
    days = re.findall(r'<li class="day day-([a-z_]+)"[^>]*><span class="visually-hidden">([^<]+)</span>', html)
    assert len(days) == 90
    label = dict((d.split(":")[0], d) for _, d in days)[start.date().isoformat()]
    assert "Major outage" in label and "75.00%" in label  # 6 of 24 hours down
    assert sum(1 for cls, _ in days if cls == "major_outage") == 1
    assert "no incidents" in days[-1][1]
    assert "uptime over the last 90 days" in html


def test_subscribe_form_has_its_fields_and_tenant_but_no_per_visitor_token(app, client):
    acme = gen_tenant("Acme")
    gen_component("API")
    db.session.commit()
    html = text_of(client.get("/t/acme/"))
    form = html[html.index('<form method="post" action="/subscribe"'):]
    form = form[:form.index("</form>")]
    assert "csrf_token" not in form  # the page is shared by every reader; the POST checks its origin
    for field in ('name="email"', 'name="phone"', 'name="component_ids"', 'name="locale"'):
        assert field in form
    assert f'name="tenant" value="{acme.slug}"' in form
    assert 'for="subscribe-email"' in form  # labelled inputs
    assert 'name="tenant"' not in text_of(client.get("/"))


def test_incident_page_shows_timeline_components_and_postmortem(app, client):
    crm = gen_component("CRM")
    incident = gen_incident("CRM down", status="resolved", components=[crm], resolved_at=utcnow(),
                            postmortem_body="## Root cause\nA renamed *setting*.",
                            postmortem_published_at=utcnow())
    later = gen_update(incident, status="resolved", body="Fixed.", display_at=utcnow() + timedelta(minutes=5))
    db.session.commit()
    html = text_of(client.get(f"/incidents/{incident.id}"))
    assert "CRM down" in html
    assert f'id="update-{later.id}"' in html
    assert html.index("Fixed.") < html.index("We are investigating.")  # newest first
    assert "<h2>Root cause</h2>" in html and "<em>setting</em>" in html
    assert "Major outage" in html  # the status the incident gave CRM


def test_unpublished_postmortem_stays_hidden(app, client):
    incident = gen_incident("Quiet", status="resolved", postmortem_body="Secret draft review")
    db.session.commit()
    assert "Secret draft review" not in text_of(client.get(f"/incidents/{incident.id}"))


def test_hostile_markdown_and_names_are_escaped(app, client):
    gen_component("<script>alert(1)</script>")
    incident = gen_incident("<img src=x onerror=alert(1)>", body="<script>alert(2)</script> [x](javascript:alert(3))")
    db.session.commit()
    for path in ("/", f"/incidents/{incident.id}", "/history"):
        html = text_of(client.get(path))
        assert "<script>" not in html and "<img src=x" not in html and 'href="javascript:' not in html


def test_other_tenants_incident_page_is_404(app, client):
    acme, globex = gen_tenant("Acme"), gen_tenant("Globex")
    private = gen_incident("Globex only", visibility="tenants", tenants=[globex])
    draft = gen_incident("Draft", draft=True)
    db.session.commit()
    assert client.get(f"/incidents/{private.id}").status_code == 404
    assert client.get(f"/t/acme/incidents/{private.id}").status_code == 404
    assert client.get(f"/t/globex/incidents/{private.id}").status_code == 200
    assert client.get(f"/incidents/{draft.id}").status_code == 404
    assert "Globex only" not in text_of(client.get("/t/acme/history"))


def test_history_is_paginated(app, client):
    base = utcnow() - timedelta(days=60)
    for n in range(25):
        gen_incident(f"Incident number {n:02d}", status="resolved", started_at=base + timedelta(days=n))
    db.session.commit()
    first, second = text_of(client.get("/history")), text_of(client.get("/history?page=2"))
    assert "Incident number 24" in first and "Incident number 05" in first
    assert "Incident number 04" not in first and "Incident number 04" in second
    assert 'rel="next"' in first and 'rel="prev"' in second
    assert client.get("/history?page=3").status_code == 404


@pytest.mark.parametrize("page, status", [("0", 400), ("-1", 400), ("abc", 400), ("1.5", 400),
                                          ("99999999999999999999", 400), ("2", 404)])
def test_bad_history_page_numbers_are_4xx(client, page, status):
    resp = client.get(f"/history?page={page}")
    assert resp.status_code == status


def test_pages_are_accessible_shells_without_inline_code(app, client):
    incident = gen_incident("Something")
    db.session.commit()
    for path in ("/", "/history", f"/incidents/{incident.id}"):
        html = text_of(client.get(path))
        assert re.search(r'<html lang="en">', html)
        assert 'class="skip" href="#main"' in html and '<main id="main"' in html
        assert "<header" in html and "<footer" in html and "<nav" in html
        # Scripts only as same-origin files (progressive enhancement), never inline; no inline styles.
        assert all(re.search(r'src="/static/[^"]+"', tag) for tag in re.findall(r"<script[^>]*>", html))
        assert "style=" not in html and "<style" not in html
        assert "http://" not in html.replace("http://status.test", "")  # no external assets
        assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT[^"]+Z">', html)


def test_chinese_visitor_gets_the_chinese_name(app, client):
    gen_incident("CRM withdrawals failing", name_translations={"zh_Hans": "CRM 出金失败"})
    db.session.commit()
    # Each request in its own app context, as on a server (the locale is memoised per context).
    with app.app_context():
        html = text_of(client.get("/", headers={"Accept-Language": "zh-CN"}))
    assert "CRM 出金失败" in html
    assert 'lang="zh-Hans"' in html
    with app.app_context():
        html = text_of(client.get("/", headers={"Accept-Language": "en"}))
    assert "CRM withdrawals failing" in html and 'lang="en"' in html


def test_stylesheet_supports_dark_mode_and_narrow_screens(client):
    css = client.get("/static/style.css").get_data(as_text=True)
    assert "prefers-color-scheme: dark" in css
    assert "max-width" in css and "overflow-wrap" in css
