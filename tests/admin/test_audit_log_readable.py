"""The audit log in words: action names a person would say, links to the objects, select filters, sign-ins folded away."""
from __future__ import annotations

from statuspage.extensions import db as _db
from statuspage.services import audit
from statuspage.services.audit import Actor
from tests.factories import gen_incident


def _entries():
    incident = gen_incident("CRM withdrawals failing")
    audit.record("post_update", "incident", incident.id, actor=Actor("ops@example.com", None, "web"),
                 summary="CRM withdrawals failing")
    audit.record("login", "admin_user", 1, actor=Actor("night@example.com", None, "web"), summary="night@example.com")
    _db.session.commit()
    return incident


def test_actions_read_as_words_and_link_to_their_object(client, db, login):
    incident = _entries()
    login("admin")
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "Posted an update" in html and "post_update</td>" not in html
    assert f'href="/admin/incidents/{incident.id}"' in html


def test_sign_ins_are_hidden_unless_asked_for(client, db, login):
    _entries()
    login("admin")
    assert "night@example.com" not in client.get("/admin/audit").get_data(as_text=True).split("<tbody>")[1]
    shown = client.get("/admin/audit?sign_ins=1").get_data(as_text=True).split("<tbody>")[1]
    assert "night@example.com" in shown and "Signed in" in shown
    assert "night@example.com" in client.get("/admin/audit?action=login").get_data(as_text=True).split("<tbody>")[1]


def test_filters_are_selects_of_what_the_log_holds(client, db, login):
    _entries()
    login("admin")
    html = client.get("/admin/audit?actor=ops@example.com").get_data(as_text=True)
    assert '<select id="f-actor" name="actor">' in html and '<option value="ops@example.com" selected>' in html
    assert '<option value="post_update" >Posted an update</option>' in html
    body = html.split("<tbody>")[1]
    assert "Posted an update" in body


def test_date_range_limits_the_entries(client, db, login):
    _entries()
    login("admin")
    assert "Posted an update" not in client.get("/admin/audit?until=2001-01-01").get_data(as_text=True).split("<tbody>")[1]
    assert "Posted an update" in client.get("/admin/audit?since=2001-01-01").get_data(as_text=True).split("<tbody>")[1]
