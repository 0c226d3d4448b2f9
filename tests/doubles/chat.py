"""A loopback server standing in for the team-chat robots: Slack, Teams, WeCom, Feishu, DingTalk.

    from tests.doubles.chat import chat_double     # pytest fixture
    url = chat_double.url("wecom")                 # a robot URL shaped like the provider's

Each provider's robot checks what its provider checks before it answers
success in the provider's own words: the request shape (Block Kit, an
Adaptive Card, `msgtype: markdown`, `msg_type: interactive`), the byte
limits, and the signature (Feishu in the body, DingTalk in the query) with
the secret given to `chat_double.secrets[kind]`. `script(kind, answer,
times)` makes the robot answer with a provider error instead:
("429", "gone", "rate", "sign", "down"). Every request is kept in
`requests[kind]` with its path, query, headers and parsed JSON body.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote_plus, urlsplit

import pytest

PATHS = {"slack": "/services/T000/B000/XXXX", "teams": "/workflows/abc/triggers/manual/paths/invoke",
         "wecom": "/cgi-bin/webhook/send", "feishu": "/open-apis/bot/v2/hook/0000-feishu",
         "dingtalk": "/robot/send"}
QUERY = {"wecom": "?key=693a91f6-7aaa", "dingtalk": "?access_token=dt0ken",
         "teams": "?api-version=2016-06-01&sp=%2Ftriggers&sv=1.0&sig=abc"}

# Provider errors, as (HTTP status, body) per kind.
ERRORS = {
    "slack": {"gone": (404, "no_service"), "429": (429, "rate_limited"), "bad": (400, "invalid_blocks"),
              "down": (503, "")},
    "teams": {"gone": (404, ""), "429": (429, ""), "bad": (400, "Bad payload"), "down": (502, "")},
    "wecom": {"gone": (200, {"errcode": 93000, "errmsg": "invalid webhook url"}),
              "rate": (200, {"errcode": 45009, "errmsg": "api freq out of limit"}),
              "bad": (200, {"errcode": 40008, "errmsg": "invalid message type"}), "down": (503, "")},
    "feishu": {"gone": (200, {"code": 19001, "msg": "param invalid: incoming webhook access token invalid"}),
               "rate": (200, {"code": 11232, "msg": "frequency limited psm[lark.oapi.app_platform_runtime]"}),
               "sign": (200, {"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time"}),
               "down": (503, "")},
    "dingtalk": {"gone": (200, {"errcode": 300001, "errmsg": "token is not exist"}),
                 "rate": (200, {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}),
                 "sign": (200, {"errcode": 310000, "errmsg": "sign not match"}), "down": (503, "")},
}


class ChatDouble:
    def __init__(self, port: int = 0):
        self.requests: dict[str, list[dict]] = {kind: [] for kind in PATHS}
        self.secrets: dict[str, str] = {}
        self.scripts: dict[str, list[str]] = {kind: [] for kind in PATHS}
        self.problems: list[str] = []
        self.lock = threading.Lock()
        double = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, body = double.handle(self.path, dict(self.headers), raw)
                data = body if isinstance(body, bytes) else (
                    json.dumps(body).encode() if isinstance(body, dict) else str(body).encode())
                self.send_response(status)
                self.send_header("Content-Type", "application/json" if isinstance(body, dict) else "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, kind: str, suffix: str = "") -> str:
        return f"{self.base}{PATHS[kind]}{suffix}{QUERY.get(kind, '')}"

    def script(self, kind: str, answer: str, times: int = 1) -> None:
        with self.lock:
            self.scripts[kind].extend([answer] * times)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def landed(self) -> list[str]:
        """The robot URL of every accepted request (for the fault ledger)."""
        return [f"{self.base}{r['path']}" + (f"?{r['raw_query']}" if r["raw_query"] else "")
                for kind in PATHS for r in self.sent(kind)]

    def sent(self, kind: str) -> list[dict]:
        """The requests the robot accepted."""
        return [r for r in self.requests[kind] if r["accepted"]]

    def handle(self, path: str, headers: dict, raw: bytes):
        parts = urlsplit(path)
        kind = next((k for k, p in PATHS.items() if parts.path.startswith(p)), None)
        if kind is None:
            return 404, "no such robot"
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        record = {"path": parts.path, "query": query, "raw_query": parts.query, "headers": headers, "json": body,
                  "raw": raw, "accepted": False}
        with self.lock:
            self.requests[kind].append(record)
            scripted = self.scripts[kind].pop(0) if self.scripts[kind] else None
        if scripted:
            return ERRORS[kind][scripted]
        problem = getattr(self, f"_check_{kind}")(record)
        if problem:
            self.problems.append(f"{kind}: {problem}")
            return ERRORS[kind].get("sign" if "sign" in problem else "bad", (400, problem))
        record["accepted"] = True
        return {"slack": (200, "ok"), "teams": (202, ""), "wecom": (200, {"errcode": 0, "errmsg": "ok"}),
                "feishu": (200, {"code": 0, "data": {}, "msg": "success"}),
                "dingtalk": (200, {"errcode": 0, "errmsg": "ok"})}[kind]

    # -- what each provider checks -------------------------------------------------------------
    def _check_slack(self, r):
        body = r["json"]
        if not isinstance(body, dict) or not isinstance(body.get("text"), str) or not body.get("blocks"):
            return "text and blocks expected"
        for block in body["blocks"] + [b for a in body.get("attachments", []) for b in a.get("blocks", [])]:
            if block["type"] == "header" and len(block["text"]["text"]) > 150:
                return "header over 150"
            if block["type"] == "section" and len(block.get("text", {}).get("text", "")) > 3000:
                return "section over 3000"
        return None

    def _check_teams(self, r):
        body = r["json"]
        try:
            attachment = body["attachments"][0]
            card = attachment["content"]
        except (TypeError, KeyError, IndexError):
            return "type message with an attachment expected"
        if body.get("type") != "message" or attachment.get("contentType") != "application/vnd.microsoft.card.adaptive":
            return "an Adaptive Card attachment expected"
        if card.get("type") != "AdaptiveCard" or not card.get("version") or not card.get("body"):
            return "AdaptiveCard with version and body expected"
        if len(r["raw"]) > 28 * 1024:
            return "over 28 KB"
        return None

    def _check_wecom(self, r):
        body = r["json"]
        if not r["query"].get("key"):
            return "key missing"
        if not isinstance(body, dict) or body.get("msgtype") != "markdown":
            return "msgtype markdown expected"
        if len(body["markdown"]["content"].encode("utf-8")) > 4096:
            return "content over 4096 bytes"
        return None

    def _check_feishu(self, r):
        body = r["json"]
        if not isinstance(body, dict) or body.get("msg_type") != "interactive" or "card" not in body:
            return "msg_type interactive with a card expected"
        secret = self.secrets.get("feishu")
        if secret:
            timestamp = body.get("timestamp")
            if not timestamp or abs(time.time() - int(timestamp)) > 3600:
                return "sign: timestamp missing or not within an hour"
            key = f"{timestamp}\n{secret}".encode()
            expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
            if body.get("sign") != expected:
                return "sign match fail"
        return None

    def _check_dingtalk(self, r):
        body = r["json"]
        if not r["query"].get("access_token"):
            return "access_token missing"
        secret = self.secrets.get("dingtalk")
        if secret:
            timestamp = r["query"].get("timestamp")
            if not timestamp or abs(time.time() * 1000 - int(timestamp)) > 3600 * 1000:
                return "sign: timestamp missing or not within an hour"
            # The sign arrives URL-encoded in the query, as DingTalk's documentation builds it.
            raw_sign = next((p.split("=", 1)[1] for p in r["raw_query"].split("&") if p.startswith("sign=")), "")
            mac = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
            if unquote_plus(raw_sign) != base64.b64encode(mac).decode():
                return "sign not match"
        if not isinstance(body, dict) or body.get("msgtype") != "markdown":
            return "msgtype markdown expected"
        if not body["markdown"].get("title") or not body["markdown"].get("text"):
            return "markdown title and text expected"
        return None


@pytest.fixture
def chat_double():
    double = ChatDouble()
    yield double
    double.close()
