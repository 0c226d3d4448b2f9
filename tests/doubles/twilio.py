"""A loopback HTTP server speaking Twilio's Messages REST shape.

    from tests.doubles.twilio import twilio_double   # pytest fixture
    app config: twilio_double.config  (TWILIO_* and TWILIO_API_BASE)

POST /2010-04-01/Accounts/<sid>/Messages.json answers 201 with a JSON
message (sid, status "queued"). Script answers per number:
`script(number, "429" | "500" | "slow" | "21610" | "21211" | "21614", times=None)`.
Every request is recorded in `requests` (path, form fields, headers).
"""
from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

ACCOUNT_SID = "AC" + "1" * 32
AUTH_TOKEN = "test-auth-token"
FROM = "+15005550006"

_ERRORS = {
    "21610": (400, 21610, "Attempt to send to unsubscribed recipient"),
    "21211": (400, 21211, "The 'To' number is not a valid phone number."),
    "21614": (400, 21614, "'To' number is not a valid mobile number"),
    "429": (429, 20429, "Too Many Requests"),
    "500": (500, 20500, "Internal Server Error"),
}


class TwilioDouble:
    def __init__(self):
        self.requests: list[dict] = []
        self.scripts: dict[str, list] = {}
        self.slow_seconds = 3.0
        self.lock = threading.Lock()
        double = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                double._answer(self, form)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def config(self) -> dict:
        return {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_FROM": FROM,
                "TWILIO_API_BASE": self.base_url}

    def script(self, number: str, answer: str, times: int | None = None) -> None:
        """Answer `answer` for `number` (`times` times, then normally; None: always)."""
        self.scripts[number] = [answer, times]

    def sent(self) -> list[dict]:
        """Requests that were accepted (201)."""
        with self.lock:
            return [r for r in self.requests if r["answer"] == 201]

    def _answer(self, handler, form: dict) -> None:
        to = form.get("To", "")
        with self.lock:
            scripted = self.scripts.get(to)
            answer = None
            if scripted and (scripted[1] is None or scripted[1] > 0):
                answer = scripted[0]
                if scripted[1] is not None:
                    scripted[1] -= 1
        if answer == "slow":
            time.sleep(self.slow_seconds)
            answer = None
        if not handler.path.startswith(f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"):
            return self._json(handler, 404, {"code": 20404, "message": "not found", "status": 404}, form)
        if answer in _ERRORS:
            status, code, message = _ERRORS[answer]
            return self._json(handler, status, {"code": code, "message": message, "status": status,
                                                "more_info": f"https://www.twilio.com/docs/errors/{code}"}, form)
        sid = "SM" + uuid.uuid4().hex
        body = {"sid": sid, "account_sid": ACCOUNT_SID, "to": to, "from": form.get("From"),
                "messaging_service_sid": form.get("MessagingServiceSid"), "body": form.get("Body"),
                "status": "queued", "num_segments": "1", "direction": "outbound-api",
                "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json"}
        self._json(handler, 201, body, form)

    def _json(self, handler, status: int, body: dict, form: dict) -> None:
        with self.lock:
            self.requests.append({"path": handler.path, "form": form, "answer": status,
                                  "sid": body.get("sid"), "auth": handler.headers.get("Authorization")})
        raw = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(raw)))
        handler.end_headers()
        handler.wfile.write(raw)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def twilio_signature(url: str, params: dict, token: str = AUTH_TOKEN) -> str:
    from twilio.request_validator import RequestValidator

    return RequestValidator(token).compute_signature(url, params)


@pytest.fixture
def twilio_double():
    double = TwilioDouble()
    yield double
    double.close()
