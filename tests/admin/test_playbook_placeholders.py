"""Playbooks: labelled placeholders, required unless marked optional, no ETA in the past, typed values kept."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from flask_babel import force_locale

from statuspage.models import Incident, Playbook
from statuspage.services.playbooks import eta_problem, parse_eta
from tests.factories import gen_component, gen_tenant

NOW = datetime(2026, 12, 1, 21, 43, tzinfo=timezone.utc)


def _playbook(db, **kw) -> Playbook:
    fields = {"name": "Withdrawals failing", "impact": "major", "status": "identified",
              "texts": {"en": {"title": "Withdrawals are failing",
                               "body": "Call {hotline}. {workaround} We expect a fix by {eta}."}},
              "defaults": {"eta": ""}, "optional_placeholders": ["workaround"]}
    fields.update(kw)
    template = Playbook(**fields)
    db.session.add(template)
    db.session.commit()
    return template


def _later() -> str:
    return (datetime.now(timezone.utc) + timedelta(days=1)).strftime("%Y-%m-%d 09:00")


def _apply(client, template, **form):
    return client.post("/admin/incidents/new", data={"action": "apply", "template": template.id, **form})


def _body(html: str) -> str:
    return html.split('id="f-body"')[1].split("</textarea>")[0]


def test_placeholders_are_shown_with_human_labels_and_required_ones_marked(client, db, login):
    template = _playbook(db)
    login("responder")
    html = client.get(f"/admin/incidents/new?template={template.id}&hotline=400-1&eta={_later()}").get_data(
        as_text=True)
    assert "Hotline phone number" in html and "Expected fix time" in html and "What customers can do meanwhile" in html
    assert 'id="f-p-hotline" name="hotline" value="400-1" maxlength="500"\n      required' in html
    assert "(optional)" in html.split('for="f-p-workaround"')[1].split("</label>")[0]


def test_a_required_placeholder_without_a_value_is_refused_and_nothing_is_filled(client, db, login):
    template = _playbook(db)
    login("responder")
    resp = _apply(client, template, eta=_later())
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "Hotline phone number is required by this playbook." in html
    assert "Call" not in _body(html)


def test_a_placeholder_marked_optional_may_stay_empty(client, db, login):
    template = _playbook(db)
    login("responder")
    resp = _apply(client, template, hotline="400-820-8820", eta=_later())
    body = _body(resp.get_data(as_text=True))
    assert resp.status_code == 200
    assert "Call 400-820-8820." in body and "{workaround}" not in body


def test_an_eta_in_the_past_is_refused_with_a_clear_message(client, db, login):
    template = _playbook(db, defaults={"eta": "2020-01-01 18:00"})
    login("responder")
    resp = _apply(client, template, hotline="400-1")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "The expected fix time 2020-01-01 18:00 has already passed" in html
    assert "We expect a fix by" not in _body(html)


def test_the_playbook_default_eta_of_18_00_is_refused_at_21_43_utc(app):
    assert "has already passed" in eta_problem("18:00 UTC", now=NOW, zone="UTC")
    assert eta_problem("23:30", now=NOW, zone="UTC") is None


def test_the_eta_is_read_in_the_sites_zone_unless_one_is_named(app):
    # 21:43 UTC is 05:43 the next morning in Shanghai.
    assert parse_eta("06:30", now=NOW, zone="Asia/Shanghai").astimezone(timezone.utc) == datetime(
        2026, 12, 1, 22, 30, tzinfo=timezone.utc)
    assert eta_problem("06:30", now=NOW, zone="Asia/Shanghai") is None
    assert eta_problem("05:00", now=NOW, zone="Asia/Shanghai")
    assert eta_problem("22:00 UTC", now=NOW, zone="Asia/Shanghai") is None
    assert eta_problem("2026-12-02 05:00 +08:00", now=NOW, zone="UTC")
    assert eta_problem("when the bank answers", now=NOW, zone="UTC") is None


def test_the_eta_message_is_localised(app):
    with app.test_request_context(), force_locale("zh_Hans"):
        message = eta_problem("18:00 UTC", now=NOW, zone="UTC")
    assert "预计修复时间" in message


def test_applying_a_playbook_keeps_the_typed_title_tenants_and_components(client, db, login):
    usual, other = gen_component("Withdrawals"), gen_component("Website")
    gen_tenant("Northwind", "northwind")
    template = _playbook(db, component_ids=[usual.id])
    login("responder")
    resp = _apply(client, template, name="Northwind: withdrawals failing", audience="tenants",
                  tenant_slugs="northwind", visibility="tenants", hotline="400-1", eta=_later(),
                  **{f"component_{other.id}": "major_outage"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert 'value="Northwind: withdrawals failing"' in html
    assert 'name="tenant_slugs" value="northwind" checked' in html
    assert 'id="f-aud-tenants" name="audience" value="tenants" required checked' in html
    assert 'id="f-vis-tenants" name="visibility" value="tenants" checked' in html
    assert '<option value="major_outage" selected>' in html.split(f'id="f-component_{other.id}"')[1].split("</select>")[0]
    assert "selected" in html.split(f'id="f-component_{usual.id}"')[1].split("</select>")[0]
    assert "Call 400-1." in _body(html)
    assert db.session.query(Incident).count() == 0


def test_playbook_form_records_which_placeholders_are_optional(client, db, login):
    login("responder")
    resp = client.post("/admin/playbooks/new", data={
        "name": "Login outage", "impact": "major", "status": "investigating", "title_en": "Sign-in fails",
        "body_en": "Call {hotline}. {workaround}", "optional_workaround": "on"})
    assert resp.status_code == 302
    saved = db.session.query(Playbook).filter_by(name="Login outage").one()
    assert saved.optional_placeholders == ["workaround"]
    html = client.get(f"/admin/playbooks/{saved.id}").get_data(as_text=True)
    assert 'name="optional_workaround" type="checkbox" value="on" checked' in html
