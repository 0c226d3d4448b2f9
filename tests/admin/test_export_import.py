"""Export the whole configuration, import it into an empty instance, and get the same public page."""
from __future__ import annotations

import io
import json
from datetime import timedelta

from statuspage import cache
from statuspage.models import Subscriber, utcnow
from statuspage.services.audit import Actor
from statuspage.services.incidents import post_update, save_postmortem
from statuspage.services.playbooks import ensure_demo_templates
from tests.conftest import _empty_all_tables
from tests.factories import gen_component, gen_group, gen_incident, gen_setting, gen_subscriber, gen_tenant
from tests.helpers import without_csrf_tokens

COLLECTIONS = ("settings", "component_groups", "tenants", "components", "templates", "incidents", "subscribers")
PAGES = ["/", "/history", "/api/v2/summary.json", "/api/v2/incidents.json", "/api/v2/components.json",
         "/api/v2/scheduled-maintenances.json", "/t/acme/", "/feed.atom"]


def _build_configuration(db):
    core = gen_group("Core")
    # No uptime bar on the component of the ongoing outage: its percentage moves with the clock.
    api = gen_component("Withdrawals API", group=core, status="major_outage", show_uptime=False)
    web = gen_component("Website", group=core)
    gen_component("Reports", status="degraded_performance")
    acme = gen_tenant("Acme")
    gen_tenant("Globex", private=True)
    past = utcnow() - timedelta(days=2)
    old = gen_incident("Login slow", status="investigating", impact="minor", components=[web], started_at=past)
    post_update(old, "resolved", "Fixed.", now=past + timedelta(hours=1), actor=Actor.system(), commit=False)
    save_postmortem(old, "## Root cause\nA full disk.", publish=True, actor=Actor.system(), commit=False)
    gen_incident("Withdrawals failing", components=[api], tenants=[acme], body="Call the hotline 400-1.",
                 name_translations={"zh_Hans": "出金失败"})
    gen_incident("Upgrade", kind="maintenance", status="scheduled", impact="none",
                 scheduled_for=utcnow() + timedelta(days=1), scheduled_until=utcnow() + timedelta(days=1, hours=2))
    ensure_demo_templates()
    gen_setting("placeholders", {"hotline": "400-1", "support_email": "help@example.com"})
    gen_subscriber("a@acme.example", tenant=acme, components=[api])
    gen_subscriber("+14155550100", channel="sms")
    db.session.commit()


def _snapshot(app) -> dict:
    cache.clear()
    visitor = app.test_client()
    # The subscribe form's CSRF token is per visitor, not page content.
    return {path: without_csrf_tokens(visitor.get(path).get_data(as_text=True)) for path in PAGES}


def _comparable(export: dict) -> dict:
    """The collections without what an import changes on purpose: imported updates count as already
    fanned out (nothing is sent again on the new instance), and imported subscribers say they came
    from an import."""
    data = json.loads(json.dumps({c: export[c] for c in COLLECTIONS}))
    for incident in data["incidents"]:
        for update in incident.get("updates", []):
            update.pop("fanout_state", None)
            update.pop("fanout_count", None)
    for subscriber in data["subscribers"]:
        subscriber.pop("source", None)
    return data


def _changed_fields(before, after) -> list:
    if isinstance(before, dict):
        before, after = [before], [after]
    if len(before) != len(after):
        return [("rows", len(before), len(after))]
    return [(i, key, b.get(key), a.get(key)) for i, (b, a) in enumerate(zip(before, after))
            for key in sorted(set(b) | set(a)) if b.get(key) != a.get(key)]


def test_round_trip_reproduces_the_public_page(app, client, db, login):
    _build_configuration(db)
    before = _snapshot(app)
    assert "Withdrawals failing" in before["/t/acme/"] and "A full disk" not in before["/"]
    login("admin")
    exported = client.get("/admin/export?download=1")
    assert exported.status_code == 200
    data = json.loads(exported.get_data(as_text=True))
    assert [k for k in COLLECTIONS if not data[k]] == [], "the configuration should fill every collection"

    db.session.commit()
    db.session.remove()  # let go of the test's connection before the tables are emptied
    _empty_all_tables(app)
    assert "Withdrawals failing" not in _snapshot(app)["/t/acme/"]
    login("admin", c=client)
    resp = client.post("/admin/import", data={"file": (io.BytesIO(exported.data), "export.json")},
                       content_type="multipart/form-data")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert _snapshot(app) == before
    again = json.loads(client.get("/admin/export?download=1").get_data(as_text=True))
    before_rows, after_rows = _comparable(data), _comparable(again)
    changed = {c: _changed_fields(before_rows[c], after_rows[c]) for c in COLLECTIONS if after_rows[c] != before_rows[c]}
    assert changed == {}, f"changed on the way through export and import, as (row, field, before, after): {changed}"
    sub = db.session.query(Subscriber).filter_by(address="a@acme.example").one()
    assert [c.name for c in sub.components] == ["Withdrawals API"] and sub.tenant.slug == "acme"


def test_import_refuses_a_non_empty_instance(client, db, login):
    gen_component("Existing")
    db.session.commit()
    login("admin")
    payload = json.dumps({"format": "statuspage-export", "version": 1, "components": []}).encode()
    resp = client.post("/admin/import", data={"file": (io.BytesIO(payload), "x.json")},
                       content_type="multipart/form-data")
    assert resp.status_code == 422 and "empty instance" in resp.get_data(as_text=True)


def test_import_rejects_a_file_that_is_not_an_export(client, db, login):
    login("admin")
    for body in (b"not json", b"[]", json.dumps({"format": "other"}).encode(),
                 json.dumps({"format": "statuspage-export", "components": [{"name": "no id"}]}).encode()):
        resp = client.post("/admin/import", data={"file": (io.BytesIO(body), "x.json")},
                           content_type="multipart/form-data")
        assert resp.status_code == 422, body
