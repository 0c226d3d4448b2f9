"""Publishing the mirror to S3-compatible storage, against moto's S3 server on loopback."""
from __future__ import annotations

import hashlib
import socket

import pytest

from statuspage.extensions import db
from statuspage.public import mirror, mirror_s3, republish
from tests.factories import gen_component, gen_incident, gen_tenant

moto_server = pytest.importorskip("moto.server", reason="moto[server] is in requirements-dev.txt")
BUCKET = "status-mirror"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def s3_endpoint(monkeypatch):
    for var, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(var, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    port = free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def app_config(s3_endpoint):
    return {"MIRROR_S3_BUCKET": BUCKET, "MIRROR_S3_PREFIX": "status", "MIRROR_S3_ENDPOINT_URL": s3_endpoint}


@pytest.fixture
def s3(app):
    client = mirror_s3.client_for(mirror_s3.settings_from(app.config))
    client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture
def site(app):
    gen_component("API")
    gen_tenant("Northwind")
    globex = gen_tenant("Globex", private=True)
    gen_incident("Withdrawals failing")
    gen_incident("Vault ledger frozen", visibility="tenants", tenants=[globex])
    db.session.commit()


def objects(s3) -> dict[str, dict]:
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix="status/").get("Contents", [])
    return {o["Key"]: o for o in listed}


def test_every_mirror_file_lands_under_the_prefix_with_its_type_cache_control_and_etag(app, s3, site, tmp_path):
    count = len(republish.publish_everywhere(app, tmp_path / "site").files)
    files = {f.path: f for f in mirror.render_site(app)}
    assert len(objects(s3)) == count == len(files)
    for path, item in files.items():
        head = s3.head_object(Bucket=BUCKET, Key=f"status/{path}")
        assert head["ContentType"] == item.content_type, path
        assert head["CacheControl"] == item.cache_control, path
        assert head["ETag"] == '"' + hashlib.md5(item.body).hexdigest() + '"', path
        assert s3.get_object(Bucket=BUCKET, Key=f"status/{path}")["Body"].read() == item.body
    index = s3.head_object(Bucket=BUCKET, Key="status/index.html")
    assert index["ContentType"] == "text/html; charset=utf-8"
    assert index["CacheControl"].startswith("public")
    assert s3.head_object(Bucket=BUCKET, Key="status/api/v2/summary.json")["ContentType"] == "application/json"
    assert s3.head_object(Bucket=BUCKET, Key="status/feed.rss")["ContentType"].startswith("application/rss+xml")


def test_no_private_tenant_reaches_the_bucket(app, s3, site, tmp_path):
    republish.publish_everywhere(app, tmp_path / "site")
    for key in objects(s3):
        body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        assert b"globex" not in key.encode().lower() and b"Globex" not in body and b"Vault ledger" not in body, key


def test_a_republish_uploads_only_what_changed_and_deletes_what_is_gone(app, s3, site, tmp_path):
    settings = mirror_s3.settings_from(app.config)
    mirror_s3.sync(mirror.render_site(app), settings)
    s3.put_object(Bucket=BUCKET, Key="status/incidents/999/index.html", Body=b"gone")
    gen_incident("Cards declined")
    db.session.commit()
    files = mirror.render_site(app)
    counts = mirror_s3.sync(files, settings)
    assert counts["deleted"] == 1
    assert counts["uploaded"] > 0
    assert counts["unchanged"] >= len([f for f in files if f.path.startswith("static/")])
    assert counts["uploaded"] + counts["unchanged"] == len(files)
    assert "status/incidents/999/index.html" not in objects(s3)
    assert b"Cards declined" in s3.get_object(Bucket=BUCKET, Key="status/index.html")["Body"].read()
