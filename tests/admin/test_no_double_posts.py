"""A form that posts an incident or an update carries a one-time token: a resubmission posts and sends nothing."""
from __future__ import annotations

import re
import threading

from statuspage.models import Delivery, IdempotencyKey, Incident, IncidentUpdate
from tests.factories import gen_incident, gen_subscriber


def _token(html: str) -> str:
    return re.search(r'name="post_token" value="([^"]+)"', html).group(1)


def _new_incident_form(client) -> dict:
    token = _token(client.get("/admin/incidents/new").get_data(as_text=True))
    return {"name": "Withdrawals failing", "status": "investigating", "impact": "major", "audience": "everyone",
            "body": "Call the hotline 400-1.", "visibility": "public", "deliver_notifications": "on",
            "action": "post", "post_token": token}


def test_back_and_post_again_shows_the_incident_and_sends_nothing_twice(client, db, login):
    gen_subscriber("customer@example.com")
    db.session.commit()
    login("responder")
    form = _new_incident_form(client)
    first = client.post("/admin/incidents/new", data=form)
    assert first.status_code == 302
    incident = db.session.query(Incident).one()
    again = client.post("/admin/incidents/new", data=form, follow_redirects=True)
    assert again.status_code == 200
    assert again.request.path == f"/admin/incidents/{incident.id}"
    assert "Already posted" in again.get_data(as_text=True)
    assert db.session.query(Incident).count() == 1
    assert db.session.query(Delivery).count() == 1


def test_each_rendered_form_posts_once(client, db, login):
    login("responder")
    assert client.post("/admin/incidents/new", data=_new_incident_form(client)).status_code == 302
    assert client.post("/admin/incidents/new", data=_new_incident_form(client)).status_code == 302
    assert db.session.query(Incident).count() == 2


def test_a_preview_keeps_the_token_so_the_post_after_it_still_counts_once(client, db, login):
    login("responder")
    form = _new_incident_form(client)
    html = client.post("/admin/incidents/new", data={**form, "action": "preview"}).get_data(as_text=True)
    assert _token(html) == form["post_token"]
    assert db.session.query(IdempotencyKey).count() == 0
    client.post("/admin/incidents/new", data=form)
    client.post("/admin/incidents/new", data=form)
    assert db.session.query(Incident).count() == 1


def test_resubmitted_update_form_posts_one_update_and_one_notice(client, db, login):
    incident = gen_incident("Withdrawals failing")
    gen_subscriber("customer@example.com")
    db.session.commit()
    login("responder")
    token = _token(client.get(f"/admin/incidents/{incident.id}").get_data(as_text=True))
    form = {"status": "identified", "body": "Found it.", "deliver_notifications": "on", "action": "post",
            "post_token": token}
    assert client.post(f"/admin/incidents/{incident.id}/updates", data=form).status_code == 302
    again = client.post(f"/admin/incidents/{incident.id}/updates", data=form, follow_redirects=True)
    assert "Already posted" in again.get_data(as_text=True)
    assert db.session.query(IncidentUpdate).filter_by(incident_id=incident.id, body="Found it.").count() == 1
    assert db.session.query(Delivery).count() == 1


def test_two_racing_copies_of_one_form_make_one_incident(app, client, db, login):
    gen_subscriber("customer@example.com")
    db.session.commit()
    login("responder")
    form = _new_incident_form(client)
    cookie = client.get_cookie("session")
    statuses, start = [], threading.Barrier(2)

    def post():
        # Each racer is its own browser tab: its own client and app context, the same session cookie.
        other = app.test_client()
        other.set_cookie(cookie.key, cookie.value, domain=cookie.domain or "localhost")
        start.wait()
        statuses.append(other.post("/admin/incidents/new", data=form).status_code)

    threads = [threading.Thread(target=post) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db.session.remove()
    assert sorted(statuses) == [302, 302]
    assert db.session.query(Incident).count() == 1
    assert db.session.query(Delivery).count() == 1


def test_maintenance_form_posts_once(client, db, login):
    login("responder")
    token = _token(client.get("/admin/maintenance/new").get_data(as_text=True))
    form = {"name": "Database upgrade", "body": "Short pause.", "scheduled_for": "2030-01-01T10:00",
            "scheduled_until": "2030-01-01T11:00", "time_zone": "UTC", "visibility": "public", "audience": "everyone",
            "deliver_notifications": "on", "post_token": token}
    assert client.post("/admin/maintenance/new", data=form).status_code == 302
    assert "Already posted" in client.post("/admin/maintenance/new", data=form,
                                           follow_redirects=True).get_data(as_text=True)
    assert db.session.query(Incident).filter_by(kind="maintenance").count() == 1
