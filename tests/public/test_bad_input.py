"""Bad addresses and input get a clear 4xx (page or JSON), never a 500 or a stack trace."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from statuspage.extensions import db
from tests.factories import gen_component, gen_incident

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("path, status", [
    ("/incidents/999999", 404),
    ("/incidents/abc", 404),
    ("/incidents/99999999999999999999999", 404),
    ("/incidents/-1", 404),
    ("/t/no-such-tenant/incidents/1", 404),
    ("/t/%00/", 404),
    ("/t/" + "x" * 500 + "/", 404),
    ("/t/%E4%B8%AD%E6%96%87/history", 404),
    ("/t/no-such/api/v2/summary.json", 404),
    ("/components/999999/feed.atom", 404),
    ("/components/abc/feed.rss", 404),
    ("/components/99999999999999999999/feed.rss", 404),
    ("/feed.xml", 404),
    ("/history?page=%00", 400),
    ("/history?page=1e9", 400),
    ("/history?page=", 200),
])
def test_bad_addresses_are_4xx(app, client, path, status):
    gen_incident("Something")
    db.session.commit()
    resp = client.get(path)
    assert resp.status_code == status, path
    assert b"Traceback" not in resp.data


def test_html_errors_are_a_plain_page_and_api_errors_json(client):
    page = client.get("/incidents/424242")
    assert page.mimetype == "text/html" and "We could not find that page." in page.get_data(as_text=True)
    api = client.get("/t/nobody/api/v2/components.json")
    assert api.get_json() == {"error": {"code": "not_found", "message": "We could not find that page."}}


@pytest.mark.parametrize("path", ["/api/v2/summary.json", "/api/v2/components.json", "/t/x/api/v2/status.json"])
def test_asking_json_endpoints_for_xml_is_406(client, path):
    resp = client.get(path, headers={"Accept": "application/xml"})
    assert resp.status_code == 406
    assert resp.get_json()["error"]["code"] == "not_acceptable"


def test_post_to_a_page_is_405_not_500(client):
    assert client.post("/history").status_code == 405
    assert client.post("/api/v2/summary.json").status_code == 405


def test_mangled_access_cookie_and_token_are_just_404(app, client):
    from statuspage.models import Tenant

    db.session.add(Tenant(name="Globex", slug="globex", private=True))
    db.session.commit()
    client.set_cookie("sp_access_1", "not-a-token", path="/t/globex/")
    assert client.get("/t/globex/").status_code == 404
    assert client.get("/t/globex/?access=" + "A" * 5000).status_code == 404
    assert client.get("/t/globex/?access=eyJ0IjoxLCJ2IjoxfQ.forged").status_code == 404


def test_component_with_hostile_name_feeds_fine(app, client):
    comp = gen_component("]]></title><script>")
    gen_incident("x", components=[comp])
    db.session.commit()
    assert client.get(f"/components/{comp.id}/feed.atom").status_code == 200


@pytest.mark.slow
def test_corrupt_sqlite_file_gives_a_one_line_explanation(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "statuspage.db").write_bytes(b"this is not a database, just garbage " * 200)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    env.update({"STATUSPAGE_INSTANCE": str(instance), "AUTO_MIGRATE": "1", "SECRET_KEY": "x",
                "EMBEDDED_WORKER": "0"})
    proc = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "routes"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [line for line in proc.stderr.splitlines() if line.startswith("statuspage:")]
    assert len(lines) == 1, proc.stderr
    assert "statuspage.db" in lines[0] and ("move" in lines[0].lower())
