"""GET/POST /integrations and DELETE /integrations/<id>: the secret URL is answered once and kept only as a hash."""
from __future__ import annotations

from statuspage.models import AuditEntry, Integration

API = "/api/admin/v1/integrations"


def test_the_url_is_in_the_answer_to_post_only(client, db, bearer, make_integration):
    answer, url = make_integration(name="Prod AM")
    secret = url.rsplit("/", 1)[1]
    assert answer["url"] == f"http://status.test/integrations/{secret}" and len(secret) >= 40
    listed = client.get(API, headers=bearer("viewer")).get_json()
    assert [i["name"] for i in listed] == ["Prod AM"] and "url" not in listed[0]
    assert secret not in client.get(f"{API}/{answer['id']}", headers=bearer("viewer")).get_data(as_text=True)
    stored = db.session.get(Integration, answer["id"])
    assert secret not in (stored.token_hash, stored.token_hint) and len(stored.token_hash) == 64
    entry = db.session.query(AuditEntry).filter_by(object_type="integration", action="create").one()
    assert secret not in str(entry.after)


def test_only_admins_create_or_delete(client, db, bearer, components):
    resp = client.post(API, json={"kind": "grafana", "name": "G"}, headers=bearer("responder"))
    assert resp.status_code == 403


def test_bad_fields_are_a_clear_422(client, db, bearer, components):
    admin = bearer("admin")
    for body, field in (({"kind": "nagios", "name": "N"}, "kind"), ({"kind": "grafana", "name": ""}, "name"),
                        ({"kind": "grafana", "name": "G", "component_map": {"crm": 999}}, "component_map"),
                        ({"kind": "grafana", "name": "G", "component_label": "not a label"}, "component_label"),
                        ({"kind": "grafana", "name": "G", "resolve": "never"}, "resolve"),
                        ({"kind": "grafana", "name": "G", "severity_map": {"p1": "on_fire"}}, "severity_map")):
        resp = client.post(API, json=body, headers=admin)
        assert resp.status_code == 422 and field in resp.get_json()["error"]["details"], body
    assert db.session.query(Integration).count() == 0


def test_delete_is_soft_and_audited(client, db, bearer, make_integration):
    answer, url = make_integration()
    resp = client.delete(f"{API}/{answer['id']}", headers=bearer("admin"))
    assert resp.status_code == 200 and resp.get_json()["deleted_at"]
    assert client.get(API, headers=bearer("admin")).get_json() == []
    assert len(client.get(f"{API}?deleted=1", headers=bearer("admin")).get_json()) == 1
    assert db.session.query(AuditEntry).filter_by(object_type="integration", action="delete").count() == 1
