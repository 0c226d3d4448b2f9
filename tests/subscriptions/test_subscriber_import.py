"""CSV import and export: the registration spreadsheet, through the admin API and the CLI."""
from __future__ import annotations

import csv
import io

import pytest

from statuspage.models import AuditEntry, Subscriber
from tests.factories import gen_component, gen_subscriber, gen_tenant


@pytest.fixture
def auth(bearer):
    return bearer("admin")


GOOD = (
    "\ufeffemail,phone,tenant,components,locale\r\n"
    "ann@example.com,+1 415 555 0101,acme,API,en\r\n"
    "bob@example.com,,,,zh_Hans\r\n"
    "ANN@example.com,,acme,,\r\n"  # the same address and tenant again: a duplicate, not an error
    ",+8613800138000,,,zh-CN\r\n"
)
BAD_ROWS = "not-an-email,,,,\r\n,12,,,\r\nx@example.com,,nowhere,,\r\n"


def _setup(db):
    gen_tenant("Acme", slug="acme")
    gen_component("API")
    db.session.commit()


def _import(client, auth, body: str, query: str = ""):
    return client.post(f"/api/admin/v1/subscribers/import{query}", data=body.encode("utf-8"),
                       headers={**auth, "Content-Type": "text/csv"})


def test_import_adds_subscribers_from_a_csv_with_a_bom(app, db, client, auth):
    _setup(db)
    resp = _import(client, auth, GOOD)
    assert resp.status_code == 200, resp.json
    assert resp.json["added"] == 4 and resp.json["duplicates"] == 1 and resp.json["rejected"] == 0
    subs = {(s.channel, s.address): s for s in db.session.query(Subscriber)}
    assert set(subs) == {("email", "ann@example.com"), ("sms", "+14155550101"), ("email", "bob@example.com"),
                         ("sms", "+8613800138000")}
    assert subs[("email", "bob@example.com")].locale == "zh_Hans"
    assert subs[("sms", "+8613800138000")].locale == "zh_Hans"
    assert all(s.confirmed for s in subs.values())
    assert subs[("sms", "+14155550101")].tenant.slug == "acme"
    assert [c.name for c in subs[("sms", "+14155550101")].components] == ["API"]
    assert db.session.query(AuditEntry).filter_by(action="subscriber.import").count() == 1


def test_a_bad_row_rejects_the_whole_file_with_reasons(app, db, client, auth):
    _setup(db)
    resp = _import(client, auth, GOOD + BAD_ROWS)
    assert resp.status_code == 422
    reasons = {e["row"]: e["reason"] for e in resp.json["errors"]}
    assert "bad email" in reasons[6] and "bad phone" in reasons[7] and "unknown tenant" in reasons[8]
    assert resp.json["committed"] is False
    assert db.session.query(Subscriber).count() == 0


def test_partial_import_keeps_the_good_rows(app, db, client, auth):
    _setup(db)
    resp = _import(client, auth, GOOD + BAD_ROWS, "?partial=1")
    assert resp.status_code == 200 and resp.json["rejected"] == 3 and resp.json["added"] == 4
    assert db.session.query(Subscriber).count() == 4


def test_reimport_updates_and_never_resubscribes_someone_who_opted_out(app, db, client, auth):
    _setup(db)
    gen_subscriber("bob@example.com", opted_out=True, locale="en")
    db.session.commit()
    resp = _import(client, auth, GOOD)
    assert resp.json["updated"] == 1
    db.session.expire_all()
    bob = db.session.query(Subscriber).filter_by(address="bob@example.com").one()
    assert bob.opted_out and bob.locale == "zh_Hans"


def test_export_round_trips(app, db, client, auth):
    _setup(db)
    _import(client, auth, GOOD)
    resp = client.get("/api/admin/v1/subscribers/export", headers=auth)
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    # A spreadsheet would read +1… as a formula: the export writes it as text ('+1…), the import reads it back.
    assert {(r["email"], r["phone"], r["tenant"]) for r in rows} >= {("ann@example.com", "", "acme"),
                                                                     ("", "'+14155550101", "acme")}
    db.session.query(Subscriber).delete()
    db.session.commit()
    again = _import(client, auth, resp.get_data(as_text=True))
    assert again.json["added"] == 4 and again.json["rejected"] == 0


def test_cli_import_streams_a_file_and_reports(app, db, runner, tmp_path):
    _setup(db)
    path = tmp_path / "subs.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("email,phone,tenant,components,locale\n")
        for i in range(2500):
            fh.write(f"user{i}@example.com,,acme,,en\n")
    result = runner.invoke(args=["import-subscribers", str(path)])
    assert result.exit_code == 0, result.output
    assert "added: 2500" in result.output
    assert db.session.query(Subscriber).count() == 2500


def test_cli_import_with_bad_rows_keeps_nothing(app, db, runner, tmp_path):
    _setup(db)
    path = tmp_path / "subs.csv"
    path.write_text("email\nok@example.com\nbroken\n", encoding="utf-8")
    result = runner.invoke(args=["import-subscribers", str(path)])
    assert result.exit_code != 0 and "row 3" in result.output
    assert db.session.query(Subscriber).count() == 0


def test_api_creates_lists_and_soft_deletes_subscribers(app, db, client, auth):
    _setup(db)
    resp = client.post("/api/admin/v1/subscribers", json={"email": "new@example.com", "tenant": "acme",
                                                           "confirmed": True}, headers=auth)
    assert resp.status_code == 201 and resp.json["tenant"] == "acme" and resp.json["confirmed"]
    sid = resp.json["id"]
    dup = client.post("/api/admin/v1/subscribers", json={"email": "new@example.com", "tenant": "acme"}, headers=auth)
    assert dup.status_code == 409
    listed = client.get("/api/admin/v1/subscribers", headers=auth).json
    assert [s["id"] for s in listed["subscribers"]] == [sid]
    assert client.delete(f"/api/admin/v1/subscribers/{sid}", headers=auth).status_code == 200
    assert client.get("/api/admin/v1/subscribers", headers=auth).json["total"] == 0
    assert client.post(f"/api/admin/v1/subscribers/{sid}/restore", headers=auth).json["deleted_at"] is None
    actions = [a.action for a in db.session.query(AuditEntry).order_by(AuditEntry.id)]
    assert actions == ["subscriber.create", "subscriber.delete", "subscriber.restore"]


def test_api_rejects_bad_subscriber_input_with_4xx(app, db, client, auth):
    for body in ({"email": "nope"}, {"phone": "12"}, {}, {"email": "a@example.com", "phone": "+14155550100"},
                 {"email": "a@example.com", "tenant": "zzz"}, {"email": "a@example.com", "confirmed": "yes"},
                 {"webhook_url": "ftp://x"}, {"email": "a@example.com", "component_ids": [999]}):
        resp = client.post("/api/admin/v1/subscribers", json=body, headers=auth)
        assert 400 <= resp.status_code < 500, (body, resp.status_code)
        assert "error" in resp.json


def test_cli_export_then_import_round_trips(app, db, runner, tmp_path):
    _setup(db)
    gen_subscriber("ann@example.com")
    gen_subscriber("+14155550101", channel="sms")
    db.session.commit()
    path = tmp_path / "out.csv"
    result = runner.invoke(args=["export-subscribers", str(path)])
    assert result.exit_code == 0 and "Exported 2" in result.output
    db.session.query(Subscriber).delete()
    db.session.commit()
    assert runner.invoke(args=["import-subscribers", str(path)]).exit_code == 0
    assert {s.address for s in db.session.query(Subscriber)} == {"ann@example.com", "+14155550101"}
