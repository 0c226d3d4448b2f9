"""The audience is an explicit choice, and the form says in one line who gets the notice and where it shows."""
from __future__ import annotations

import re

from statuspage.models import Incident
from tests.factories import gen_component, gen_subscriber, gen_tenant


def _form(**kw):
    data = {"name": "Withdrawals failing", "status": "investigating", "impact": "major", "body": "Call 400-1.",
            "visibility": "public", "deliver_notifications": "on", "action": "post"}
    data.update(kw)
    return data


def _summary(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html.split('id="audience-summary"')[1].split("</p>")[0]).split())


def test_the_new_incident_form_has_no_audience_chosen(client, db, login):
    login("responder")
    html = client.get("/admin/incidents/new").get_data(as_text=True)
    radios = re.findall(r'<input type="radio"[^>]*name="audience"[^>]*>', html)
    assert len(radios) == 2 and not any("checked" in r for r in radios)
    assert "None selected: everyone" not in html


def test_posting_without_choosing_an_audience_is_refused(client, db, login):
    gen_subscriber("customer@example.com")
    db.session.commit()
    login("responder")
    resp = client.post("/admin/incidents/new", data=_form())
    assert resp.status_code == 422
    assert "Choose who this is for: everyone, or only the tenants you tick." in resp.get_data(as_text=True)
    assert db.session.query(Incident).count() == 0


def test_named_tenants_need_at_least_one_ticked_and_everyone_needs_none(client, db, login):
    gen_tenant("Northwind", "northwind")
    db.session.commit()
    login("responder")
    assert "Tick at least one tenant" in client.post(
        "/admin/incidents/new", data=_form(audience="tenants")).get_data(as_text=True)
    assert "You chose everyone but ticked tenants" in client.post(
        "/admin/incidents/new", data=_form(audience="everyone", tenant_slugs="northwind")).get_data(as_text=True)
    assert db.session.query(Incident).count() == 0


def test_everyone_posts_to_everyone(client, db, login):
    login("responder")
    assert client.post("/admin/incidents/new", data=_form(audience="everyone")).status_code == 302
    assert db.session.query(Incident).one().tenants == []


def test_preview_shows_one_line_with_recipients_per_channel_and_the_pages(client, db, login):
    comp = gen_component("Withdrawals")
    northwind, acme = gen_tenant("Northwind", "northwind"), gen_tenant("Acme", "acme")
    gen_subscriber("a@northwind.example", tenant=northwind)
    gen_subscriber("b@northwind.example", tenant=northwind)
    gen_subscriber("+8613800138000", channel="sms", tenant=northwind)
    gen_subscriber("c@acme.example", tenant=acme)
    db.session.commit()
    login("responder")
    html = client.post("/admin/incidents/new", data=_form(
        action="preview", audience="tenants", tenant_slugs="northwind", visibility="tenants",
        **{f"component_{comp.id}": "major_outage"})).get_data(as_text=True)
    line = _summary(html)
    assert "Email 2" in line and "SMS 1" in line and "subscribers of Northwind" in line
    assert "shown only on the pages of Northwind; the public page does not change." in line
    assert db.session.query(Incident).count() == 0

    line = _summary(client.post("/admin/incidents/new", data=_form(action="preview", audience="everyone"))
                    .get_data(as_text=True))
    assert "Email 3" in line and "SMS 1" in line
    assert "shown to everyone: the public page and every tenant's page." in line


def test_the_summary_says_when_nobody_is_notified(client, db, login):
    login("responder")
    form = _form(action="preview", audience="everyone")
    del form["deliver_notifications"]
    assert "nobody is notified." in _summary(client.post("/admin/incidents/new", data=form).get_data(as_text=True))


def test_scheduling_maintenance_needs_the_audience_chosen_too(client, db, login):
    login("responder")
    form = {"name": "Database upgrade", "body": "Short pause.", "scheduled_for": "2030-01-01T10:00",
            "scheduled_until": "2030-01-01T11:00", "time_zone": "UTC", "visibility": "public"}
    resp = client.post("/admin/maintenance/new", data=form)
    assert resp.status_code == 422 and "Choose who this is for" in resp.get_data(as_text=True)
    assert client.post("/admin/maintenance/new", data={**form, "audience": "everyone"}).status_code == 302
    assert db.session.query(Incident).filter_by(kind="maintenance").count() == 1
