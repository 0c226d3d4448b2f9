"""PUBLIC_BASE_URL unset: links follow the address actually served, and are kept for processes with no request."""
from __future__ import annotations

import socket
from pathlib import Path

from flask import Flask

from statuspage.bootstrap import follow_served_address
from statuspage.config import SERVED_BASE_FILE, config_from_env


def _bare_app(tmp_path: Path, **config) -> Flask:
    app = Flask(__name__, instance_path=str(tmp_path))
    app.config.update({"PUBLIC_BASE_URL": "http://127.0.0.1:5000", "PUBLIC_BASE_URL_CONFIGURED": False, **config})
    app.add_url_rule("/", "index", lambda: "ok")
    return app


def test_first_request_sets_the_base_url_and_records_it_for_the_worker_and_the_cli(tmp_path, monkeypatch):
    app = _bare_app(tmp_path)
    follow_served_address(app)
    app.test_client().get("/", environ_overrides={"SERVER_NAME": "127.0.0.1", "SERVER_PORT": "5173"})
    assert app.config["PUBLIC_BASE_URL"] == "http://127.0.0.1:5173"
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    assert config_from_env(str(tmp_path))["PUBLIC_BASE_URL"] == "http://127.0.0.1:5173"
    # Only the first request decides: a later Host header changes nothing.
    app.test_client().get("/", environ_overrides={"SERVER_NAME": "0.0.0.0", "SERVER_PORT": "80"},
                          headers={"Host": "evil.example"})
    assert app.config["PUBLIC_BASE_URL"] == "http://127.0.0.1:5173"


def test_bound_to_every_interface_a_visitors_host_header_never_decides_the_links(tmp_path):
    app = _bare_app(tmp_path)
    follow_served_address(app)
    app.test_client().get("/", environ_overrides={"SERVER_NAME": "0.0.0.0", "SERVER_PORT": "8080"},
                          headers={"Host": "evil.example:8080"})
    assert app.config["PUBLIC_BASE_URL"] == f"http://{socket.getfqdn()}:8080"
    assert "evil.example" not in (tmp_path / SERVED_BASE_FILE).read_text()


def test_a_configured_public_base_url_is_never_replaced(tmp_path, monkeypatch):
    app = _bare_app(tmp_path, PUBLIC_BASE_URL="https://status.example.com", PUBLIC_BASE_URL_CONFIGURED=True)
    follow_served_address(app)
    app.test_client().get("/", environ_overrides={"SERVER_NAME": "127.0.0.1", "SERVER_PORT": "5173"})
    assert app.config["PUBLIC_BASE_URL"] == "https://status.example.com"
    assert not (tmp_path / SERVED_BASE_FILE).exists()
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://status.example.com/")
    (tmp_path / SERVED_BASE_FILE).write_text("http://127.0.0.1:5173\n")
    assert config_from_env(str(tmp_path))["PUBLIC_BASE_URL"] == "https://status.example.com"
