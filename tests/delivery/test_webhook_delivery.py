"""The webhook channel: a signed JSON POST to the subscriber's endpoint, with the same retries."""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from statuspage.delivery.runner import drain_outbox
from statuspage.models import Delivery
from statuspage.services.fanout import fan_out_update
from tests.factories import gen_incident, gen_subscriber


class Receiver:
    def __init__(self):
        self.requests, self.answers = [], []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                self.send_response(receiver.answers.pop(0) if receiver.answers else 204)
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


@pytest.fixture
def app_config():
    return {"DELIVERY_RETRY_BASE_SECONDS": 1.0, "DELIVERY_RETRY_MAX_SECONDS": 1.0}


def _post(db, receiver):
    gen_subscriber(receiver.url, channel="webhook", webhook_secret="s3cret")
    update = gen_incident(name="Queue backlog").updates[0]
    fan_out_update(update)
    db.session.commit()
    return update


def test_webhook_gets_signed_json(app, db, receiver):
    update = _post(db, receiver)
    drain_outbox()
    assert len(receiver.requests) == 1
    req = receiver.requests[0]
    payload = json.loads(req["body"])
    assert payload["incident"]["name"] == "Queue backlog" and payload["update"]["id"] == update.id
    mac = hmac.new(b"s3cret", req["headers"]["X-Statuspage-Timestamp"].encode() + b"." + req["body"], hashlib.sha256)
    assert req["headers"]["X-Statuspage-Signature"] == "sha256=" + mac.hexdigest()
    db.session.expire_all()
    assert db.session.query(Delivery).one().status == "sent"


def test_webhook_5xx_is_retried_and_4xx_fails(app, db, receiver):
    receiver.answers = [503]
    _post(db, receiver)
    drain_outbox()
    db.session.expire_all()
    assert db.session.query(Delivery).one().status == "queued"
    time.sleep(1.1)
    drain_outbox()
    db.session.expire_all()
    assert db.session.query(Delivery).one().status == "sent" and len(receiver.requests) == 2

    receiver.answers = [410]
    update = gen_incident(name="Second").updates[0]
    fan_out_update(update)
    db.session.commit()
    drain_outbox()
    db.session.expire_all()
    row = db.session.query(Delivery).filter_by(update_id=update.id).one()
    assert row.status == "failed" and "410" in row.last_error
