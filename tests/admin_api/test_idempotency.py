"""`Idempotency-Key` on every POST: the same key and body answer what the first request answered, once."""
from __future__ import annotations

import threading
from datetime import timedelta

from statuspage.models import Delivery, IdempotencyKey, Incident, IncidentUpdate, Tenant
from tests.factories import gen_incident, gen_subscriber

BODY = {"name": "Withdrawals failing", "status": "investigating", "impact": "major", "body": "Call 400-1."}


def _with_key(headers: dict, key: str) -> dict:
    return {**headers, "Idempotency-Key": key}


def test_same_key_and_body_answer_the_first_answer_and_do_nothing_again(client, db, bearer):
    gen_subscriber("customer@example.com")
    db.session.commit()
    headers = _with_key(bearer("responder"), "create-withdrawals-1")
    first = client.post("/api/admin/v1/incidents", json=BODY, headers=headers)
    again = client.post("/api/admin/v1/incidents", json=dict(reversed(list(BODY.items()))), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert db.session.query(Incident).count() == 1
    assert db.session.query(Delivery).count() == 1


def test_same_key_with_another_body_is_422_and_changes_nothing(client, db, bearer):
    headers = _with_key(bearer("responder"), "k-1")
    assert client.post("/api/admin/v1/incidents", json=BODY, headers=headers).status_code == 201
    resp = client.post("/api/admin/v1/incidents", json={**BODY, "name": "Logins failing"}, headers=headers)
    assert resp.status_code == 422
    assert resp.get_json()["error"]["code"] == "idempotency_key_reused"
    assert [i.name for i in db.session.query(Incident)] == ["Withdrawals failing"]


def test_every_post_honours_the_key(client, db, bearer):
    incident = gen_incident("Withdrawals failing")
    db.session.commit()
    headers = _with_key(bearer("admin"), "update-1")
    url = f"/api/admin/v1/incidents/{incident.id}/updates"
    first = client.post(url, json={"status": "identified", "body": "Found it."}, headers=headers)
    again = client.post(url, json={"status": "identified", "body": "Found it."}, headers=headers)
    assert first.status_code == again.status_code == 201 and first.get_json() == again.get_json()
    assert db.session.query(IncidentUpdate).filter_by(body="Found it.").count() == 1
    tenant = _with_key(headers, "tenant-1")
    assert client.post("/api/admin/v1/tenants", json={"name": "Acme", "slug": "acme"}, headers=tenant).status_code == 201
    assert client.post("/api/admin/v1/tenants", json={"name": "Acme", "slug": "acme"}, headers=tenant).status_code == 201
    assert db.session.query(Tenant).count() == 1


def test_a_refused_request_is_answered_the_same_way_again(client, db, bearer):
    headers = _with_key(bearer("responder"), "bad-1")
    first = client.post("/api/admin/v1/incidents", json={**BODY, "impact": "apocalyptic"}, headers=headers)
    again = client.post("/api/admin/v1/incidents", json={**BODY, "impact": "apocalyptic"}, headers=headers)
    assert first.status_code == again.status_code == 422 and first.get_json() == again.get_json()


def test_keys_are_per_user_and_without_a_key_nothing_is_remembered(client, db, bearer):
    one, two = bearer("responder"), bearer("admin")
    assert client.post("/api/admin/v1/incidents", json=BODY, headers=_with_key(one, "same")).status_code == 201
    assert client.post("/api/admin/v1/incidents", json=BODY, headers=_with_key(two, "same")).status_code == 201
    client.post("/api/admin/v1/incidents", json=BODY, headers=one)
    assert db.session.query(Incident).count() == 3
    assert db.session.query(IdempotencyKey).count() == 2


def test_a_key_older_than_a_day_is_forgotten(client, db, bearer):
    headers = _with_key(bearer("responder"), "old")
    client.post("/api/admin/v1/incidents", json=BODY, headers=headers)
    record = db.session.query(IdempotencyKey).one()
    record.created_at = record.created_at - timedelta(hours=25)
    db.session.commit()
    assert client.post("/api/admin/v1/incidents", json=BODY, headers=headers).status_code == 201
    assert db.session.query(Incident).count() == 2


def test_two_racing_requests_with_one_key_make_one_incident(app, db, bearer):
    gen_subscriber("customer@example.com")
    db.session.commit()
    headers = _with_key(bearer("responder"), "race-1")
    answers, start = [], threading.Barrier(2)

    def post():
        start.wait()
        resp = app.test_client().post("/api/admin/v1/incidents", json=BODY, headers=headers)
        answers.append((resp.status_code, resp.get_json()))

    threads = [threading.Thread(target=post) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db.session.remove()
    assert [a[0] for a in answers] == [201, 201]
    assert answers[0][1]["id"] == answers[1][1]["id"]
    assert db.session.query(Incident).count() == 1
    assert db.session.query(Delivery).count() == 1


def test_an_overlong_key_is_a_400(client, db, bearer):
    resp = client.post("/api/admin/v1/incidents", json=BODY, headers=_with_key(bearer("responder"), "k" * 300))
    assert resp.status_code == 400
    assert db.session.query(Incident).count() == 0
