"""The demo loads a believable site, twice without duplicates, and every public surface renders it."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from statuspage.extensions import db
from statuspage.models import Component, Incident, IncidentUpdate, Subscriber, Tenant


def counts() -> dict:
    return {m.__name__: db.session.scalar(select(func.count()).select_from(m))
            for m in (Component, Tenant, Incident, IncidentUpdate, Subscriber)}


def test_demo_is_idempotent_and_prints_the_private_link(app, runner):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    loaded = counts()
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    assert counts() == loaded
    assert "already loaded" in second.output
    assert re.search(r"http://status\.test/t/globex/\?access=\S+", first.output)
    assert loaded["Tenant"] == 2 and loaded["Subscriber"] >= 20


def test_demo_content(app, runner):
    runner.invoke(args=["demo"])
    subs = db.session.scalars(select(Subscriber)).all()
    assert {s.channel for s in subs} == {"email", "sms"}
    assert all(s.confirmed for s in subs)
    assert all(re.fullmatch(r"\+[1-9]\d{7,14}", s.address) for s in subs if s.channel == "sms")
    assert {s.tenant_id for s in subs} >= {t.id for t in db.session.scalars(select(Tenant))}
    active = db.session.scalars(select(Incident).where(Incident.status == "identified")).one()
    assert "withdrawal" in active.name.lower() and active.impact == "major" and len(active.updates) == 2
    assert "400-" in active.updates[-1].body
    assert db.session.scalars(select(Incident).where(Incident.postmortem_published_at.is_not(None))).first()
    assert db.session.scalars(select(Incident).where(Incident.kind == "maintenance",
                                                     Incident.status == "scheduled")).first()
    assert any(re.search(r"[\u4e00-\u9fff]", i.name) for i in db.session.scalars(select(Incident)))


def test_every_public_surface_renders_the_demo(app, runner, client):
    output = runner.invoke(args=["demo"]).output
    home = client.get("/")
    assert home.status_code == 200
    html = home.get_data(as_text=True)
    assert "Major System Outage" in html and "CRM withdrawal requests are failing" in html
    assert "Core platform" in html and "Database upgrade" in html
    assert html.count('class="day day-major_outage"') >= 2  # past outages show in the uptime bars
    summary = client.get("/api/v2/summary.json").get_json()
    assert summary["status"]["indicator"] == "critical"  # Withdrawals is in a major outage
    for path in ("/history", "/feed.atom", "/feed.rss", "/api/v2/incidents.json", "/t/northwind/"):
        assert client.get(path).status_code == 200, path
    assert client.get("/t/globex/").status_code == 404
    link = re.search(r"http://status\.test(/t/globex/\?access=\S+)", output).group(1)
    assert client.get(link).status_code == 303
    globex = client.get("/t/globex/").get_data(as_text=True)
    assert "Globex dedicated gateway" in globex
    assert "Globex" not in client.get("/").get_data(as_text=True)
    postmortem = db.session.scalars(select(Incident).where(Incident.postmortem_published_at.is_not(None))).first()
    page = client.get(f"/incidents/{postmortem.id}").get_data(as_text=True)
    for heading in ("Summary", "Timeline", "Impact", "Root cause", "What we change"):
        assert re.search(rf"<h2>{heading}", page), heading
