"""Opening, previewing, updating and resolving incidents from the admin UI."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from statuspage.models import AuditEntry, Component, Delivery, Incident, Playbook
from statuspage.services.playbooks import DEMO_NAME, ensure_demo_templates
from tests.factories import gen_component, gen_incident, gen_subscriber, gen_tenant


def _tomorrow_at_six() -> str:
    return (datetime.now(timezone.utc) + timedelta(days=1)).strftime("%Y-%m-%d 18:00")


def _form(**kw):
    data = {"name": "Withdrawals failing", "status": "investigating", "impact": "major",
            "body": "Withdrawals fail. Call 400-1.", "visibility": "public", "deliver_notifications": "on",
            "audience": "everyone", "action": "post"}
    data.update(kw)
    return data


def test_playbook_fills_the_form_with_placeholders_in_both_languages(client, db, login):
    template = ensure_demo_templates()
    db.session.commit()
    login("responder")
    html = client.get(f"/admin/incidents/new?template={template.id}&hotline=400-123-4567"
                      f"&eta={_tomorrow_at_six()}").get_data(as_text=True)
    assert "Withdrawal requests in the CRM are failing" in html
    assert "400-123-4567" in html and _tomorrow_at_six() in html
    assert "CRM 出金申请失败" in html
    # An empty placeholder falls back to the playbook's default.
    assert "support@example.com" in html
    body = html.split('id="f-body"')[1].split("</textarea>")[0]
    assert "{hotline}" not in body and "400-123-4567" in body


def test_demo_playbook_is_added_once(db, app):
    ensure_demo_templates()
    ensure_demo_templates()
    db.session.commit()
    assert db.session.query(Playbook).filter_by(name=DEMO_NAME).count() == 1


def test_posting_an_incident_moves_components_and_records_it(client, db, login):
    api = gen_component("Withdrawals API")
    other = gen_component("Website")
    tenant = gen_tenant("Acme")
    db.session.commit()
    user = login("responder")
    resp = client.post("/admin/incidents/new", data=_form(**{f"component_{api.id}": "major_outage",
                                                            "tenant_slugs": "acme", "audience": "tenants",
                                                            "body_zh_Hans": "出金失败"}))
    assert resp.status_code == 302
    incident = db.session.query(Incident).one()
    assert incident.owner_id == user.id
    assert [t.slug for t in incident.tenants] == ["acme"]
    assert incident.updates[0].body_translations == {"zh_Hans": "出金失败"}
    assert db.session.get(Component, api.id).status == "major_outage"
    assert db.session.get(Component, other.id).status == "operational"
    entry = db.session.query(AuditEntry).filter_by(object_type="incident", action="create").one()
    assert entry.actor == user.email and entry.after["name"] == "Withdrawals failing"
    assert tenant.id


def test_missing_title_shows_the_error_next_to_the_field(client, db, login):
    login("responder")
    resp = client.post("/admin/incidents/new", data=_form(name=""))
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert 'id="name-error"' in html and "This field is required." in html
    assert db.session.query(Incident).count() == 0


def test_preview_shows_the_page_entry_and_recipient_counts_without_saving(client, db, login):
    comp = gen_component("Withdrawals API")
    acme = gen_tenant("Acme")
    other = gen_tenant("Other")
    gen_subscriber("a@acme.example", tenant=acme)
    gen_subscriber("b@other.example", tenant=other)
    gen_subscriber("+14155550100", channel="sms", tenant=acme)
    db.session.commit()
    login("responder")
    resp = client.post("/admin/incidents/new", data=_form(action="preview", tenant_slugs="acme", audience="tenants",
                                                          **{f"component_{comp.id}": "partial_outage"}))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    entry = html.split('class="page-entry"')[1].split("</article>")[0]
    assert "Withdrawals failing" in entry and "Withdrawals fail. Call 400-1." in entry and "Investigating" in entry
    assert "Notifications are off" not in html
    assert "email: <strong>1</strong>" in html and "sms: <strong>1</strong>" in html
    assert ("segments" in html) or ("preview unavailable" in html)
    assert db.session.query(Incident).count() == 0
    assert db.session.get(Component, comp.id).status == "operational"


def test_send_a_test_goes_only_to_the_acting_admin(client, db, login):
    gen_subscriber("customer@example.com")
    db.session.commit()
    user = login("responder")
    resp = client.post("/admin/incidents/new", data=_form(action="test"))
    assert resp.status_code == 200
    rows = db.session.query(Delivery).all()
    assert [(r.kind, r.channel, r.recipient) for r in rows] == [("test", "email", user.email)]
    assert db.session.query(Incident).count() == 0


def test_resolving_restores_components_unless_another_incident_holds_them(client, db, login):
    shared = gen_component("Withdrawals API")
    alone = gen_component("Website")
    db.session.commit()
    login("responder")
    client.post("/admin/incidents/new", data=_form(**{f"component_{shared.id}": "major_outage",
                                                     f"component_{alone.id}": "partial_outage"}))
    client.post("/admin/incidents/new", data=_form(name="Slow API", **{f"component_{shared.id}": "degraded_performance"}))
    first = db.session.query(Incident).filter_by(name="Withdrawals failing").one()
    resolve = {"status": "resolved", "body": "Fixed.", "deliver_notifications": "on", "action": "post"}
    resp = client.post(f"/admin/incidents/{first.id}/updates", data=resolve)
    assert resp.status_code == 409
    assert "Slow API" in resp.get_data(as_text=True)
    assert db.session.get(Incident, first.id).status == "investigating"
    resp = client.post(f"/admin/incidents/{first.id}/updates", data={**resolve, "confirm_resolve": "on"})
    assert resp.status_code == 302
    assert db.session.get(Incident, first.id).status == "resolved"
    assert db.session.get(Component, alone.id).status == "operational"
    assert db.session.get(Component, shared.id).status == "degraded_performance"


def test_draft_is_silent_until_published(client, db, login):
    comp = gen_component("Withdrawals API")
    gen_subscriber("customer@example.com")
    db.session.commit()
    login("responder")
    client.post("/admin/incidents/new", data=_form(draft="on", **{f"component_{comp.id}": "major_outage"}))
    incident = db.session.query(Incident).one()
    assert incident.draft
    assert db.session.get(Component, comp.id).status == "operational"
    assert "Withdrawals failing" not in client.get("/").get_data(as_text=True)
    assert db.session.query(Delivery).count() == 0
    client.post(f"/admin/incidents/{incident.id}/publish")
    assert not db.session.get(Incident, incident.id).draft
    assert db.session.get(Component, comp.id).status == "major_outage"
    assert db.session.query(Delivery).filter_by(kind="update").count() == 1
    assert "Withdrawals failing" in client.get("/").get_data(as_text=True)


def test_postmortem_stays_a_draft_until_published(client, db, login):
    incident = gen_incident("Withdrawals failing", status="resolved")
    db.session.commit()
    login("responder")
    client.post(f"/admin/incidents/{incident.id}/postmortem",
                data={"postmortem_body": "## Root cause\nA full disk.", "action": "save"})
    assert db.session.get(Incident, incident.id).postmortem_published_at is None
    assert "A full disk" not in client.get(f"/incidents/{incident.id}").get_data(as_text=True)
    client.post(f"/admin/incidents/{incident.id}/postmortem",
                data={"postmortem_body": "## Root cause\nA full disk.", "action": "publish"})
    assert db.session.get(Incident, incident.id).postmortem_published_at is not None
    assert "A full disk" in client.get(f"/incidents/{incident.id}").get_data(as_text=True)


def test_stale_incidents_are_flagged_in_the_list(client, db, login, app):
    from datetime import timedelta

    from statuspage.models import utcnow

    old = utcnow() - timedelta(minutes=app.config["STALE_INCIDENT_MINUTES"] + 5)
    gen_incident("Old news", started_at=old, last_public_update_at=old)
    gen_incident("Fresh", last_public_update_at=utcnow())
    db.session.commit()
    login("viewer")
    html = client.get("/admin/incidents").get_data(as_text=True)
    rows = {line for line in html.split("<tr") if "Stale: no update" in line}
    assert len(rows) == 1 and "Old news" in rows.pop()


def test_a_notice_with_an_unfilled_placeholder_is_refused(client, db, login):
    login("responder")
    resp = client.post("/admin/incidents/new", data=_form(body="Call {hotline} now."))
    assert resp.status_code == 422
    assert "Fill in {hotline} before posting" in resp.get_data(as_text=True)
    assert db.session.query(Incident).count() == 0


def test_optional_placeholder_left_empty_on_purpose_fills_as_nothing(client, db, login):
    template = ensure_demo_templates()
    db.session.commit()
    login("responder")
    html = client.get(f"/admin/incidents/new?template={template.id}&eta={_tomorrow_at_six()}").get_data(as_text=True)
    body = html.split('id="f-body"')[1].split("</textarea>")[0]
    assert "{workaround}" not in body and "400-820-8820" in body


def test_send_the_latest_notice_to_me_from_the_incident_page(client, db, login):
    incident = gen_incident("Withdrawals failing", body="Call the hotline.")
    gen_subscriber("customer@example.com")
    db.session.commit()
    user = login("responder")
    assert client.post(f"/admin/incidents/{incident.id}/test").status_code == 302
    rows = db.session.query(Delivery).all()
    assert [(r.kind, r.recipient) for r in rows] == [("test", user.email)]
    assert "Call the hotline." in rows[0].payload and "[TEST]" in rows[0].payload


def test_playbook_is_written_in_two_languages_and_goes_to_the_trash(client, db, login):
    login("responder")
    resp = client.post("/admin/playbooks/new", data={
        "name": "Login outage", "impact": "major", "status": "investigating", "title_en": "Sign-in fails",
        "body_en": "Call {hotline}.", "title_zh_Hans": "无法登录", "body_zh_Hans": "请拨打 {hotline}。",
        "hotline": "400-1"})
    assert resp.status_code == 302
    template = db.session.query(Playbook).filter_by(name="Login outage").one()
    assert template.texts["zh_Hans"] == {"title": "无法登录", "body": "请拨打 {hotline}。"}
    assert template.defaults["hotline"] == "400-1"
    assert client.post("/admin/playbooks/new", data={"name": "Login outage", "title_en": "x",
                                                     "body_en": "y"}).status_code == 422
    client.post(f"/admin/playbooks/{template.id}", data={"action": "delete"})
    assert db.session.get(Playbook, template.id).deleted_at is not None
    assert "Login outage" not in client.get("/admin/playbooks").get_data(as_text=True)
    client.post(f"/admin/trash/template/{template.id}", data={"action": "restore"})
    assert "Login outage" in client.get("/admin/playbooks").get_data(as_text=True)
