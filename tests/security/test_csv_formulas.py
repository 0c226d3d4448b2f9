"""Every CSV the product writes opens in a spreadsheet as data: no cell starts a formula."""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from statuspage.csv_safe import FORMULA_STARTS
from statuspage.models import Subscriber
from statuspage.services import audit
from statuspage.services.audit import Actor
from statuspage.services.subscriber_import import export_csv, import_csv_stream
from tests.factories import gen_subscriber

EVIL = "=cmd|'/ccalc'!a0@example.com"


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def test_an_anonymous_subscribers_formula_is_inert_in_the_export(client, db, bearer):
    assert client.post("/subscribe", json={"email": EVIL}).status_code == 202
    body = client.get("/api/admin/v1/subscribers/export", headers=bearer("admin")).get_data(as_text=True)
    cells = _cells(body)
    assert any("cmd|" in c for c in cells)
    assert not [c for c in cells if c.startswith(FORMULA_STARTS)]


def test_names_in_the_audit_csv_are_inert(client, db, login):
    login("admin")
    for start in ("=", "+", "-", "@", "\t", "\r"):
        audit.record("create", "incident", 1, actor=Actor(f"{start}actor"), summary=f"{start}HYPERLINK(\"http://x\")")
    db.session.commit()
    body = client.get("/admin/audit?format=csv").get_data(as_text=True)
    cells = _cells(body)
    assert any("HYPERLINK" in c for c in cells)
    assert not [c for c in cells if c.startswith(FORMULA_STARTS)]


def test_an_exported_phone_number_imports_back_unchanged(db):
    gen_subscriber("+14155550100", channel="sms")
    db.session.commit()
    out = io.StringIO()
    export_csv(out, actor=Actor.system())
    assert "'+14155550100" in out.getvalue()
    db.session.query(Subscriber).delete()
    db.session.commit()
    report = import_csv_stream(io.StringIO(out.getvalue()), actor=Actor.system())
    assert report.committed
    assert db.session.query(Subscriber.address).scalar() == "+14155550100"


def test_every_csv_the_product_writes_goes_through_the_safe_writer():
    root = Path(__file__).resolve().parents[2] / "statuspage"
    raw = [f"{p.relative_to(root)}:{n}" for p in root.rglob("*.py") if p.name != "csv_safe.py"
           for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
           if re.search(r"csv\.(writer|DictWriter)\(", line)]
    assert raw == [], "write CSV with statuspage.csv_safe.SafeWriter: " + ", ".join(raw)
