"""A real SMTP server on loopback (aiosmtpd) that records what it accepts.

    from tests.doubles.smtp import smtp_sink   # a pytest fixture; import it into your test module
    def test_x(app, smtp_sink): ...; smtp_sink.messages[0]["message"]["Subject"]

Scriptable: `refuse(address, code, text)` answers RCPT with that code;
`tempfail = True` answers every DATA with 451; `outage()` closes the port
(connection refused) until `restore()`; `hold_at(n)` blocks the n-th DATA
(1-based) until `release()`, so a test can kill a sender mid-send.
"""
from __future__ import annotations

import asyncio
import socket
import threading
from email import message_from_bytes, policy

import pytest


def _import_aiosmtpd():
    """aiosmtpd imports `public` (the atpublic package); tests/public shadows that name on sys.path."""
    import importlib.metadata
    import importlib.util
    import sys

    if "aiosmtpd.smtp" in sys.modules:
        return sys.modules["aiosmtpd.smtp"].SMTP
    saved = sys.modules.pop("public", None)
    path = importlib.metadata.distribution("atpublic").locate_file("public/__init__.py")
    spec = importlib.util.spec_from_file_location("public", path, submodule_search_locations=[str(path.parent)])
    module = importlib.util.module_from_spec(spec)
    sys.modules["public"] = module
    spec.loader.exec_module(module)
    try:
        import aiosmtpd.handlers  # noqa: F401
        from aiosmtpd.smtp import SMTP
    finally:
        for name in [n for n in sys.modules if n == "public" or n.startswith("public._")]:
            del sys.modules[name]
        if saved is not None:
            sys.modules["public"] = saved
    return SMTP


SMTP = _import_aiosmtpd()


class _Handler:
    def __init__(self, sink: "SmtpSink"):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        refused = self.sink.refused.get(address.lower())
        if refused:
            return f"{refused[0]} {refused[1]}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        sink = self.sink
        with sink.lock:
            sink.data_count += 1
            n = sink.data_count
        if sink.hold_number is not None and n == sink.hold_number:
            sink.held.set()
            await asyncio.get_running_loop().run_in_executor(None, sink.release_event.wait, 30)
            return "451 4.3.0 held by the test"
        if sink.tempfail:
            return "451 4.3.0 try again later"
        msg = message_from_bytes(envelope.content, policy=policy.default)
        with sink.lock:
            sink.messages.append({"mail_from": envelope.mail_from, "rcpt_tos": list(envelope.rcpt_tos),
                                  "data": envelope.content, "message": msg})
        return "250 Message accepted"


class SmtpSink:
    def __init__(self):
        self.messages: list[dict] = []
        self.refused: dict[str, tuple[int, str]] = {}
        self.tempfail = False
        self.lock = threading.Lock()
        self.data_count = 0
        self.hold_number: int | None = None
        self.held = threading.Event()
        self.release_event = threading.Event()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.server = None
        self.port = 0
        self._listen()

    def _listen(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        self.port = sock.getsockname()[1]
        coro = self.loop.create_server(lambda: SMTP(_Handler(self), hostname="sink.test"), sock=sock)
        self.server = asyncio.run_coroutine_threadsafe(coro, self.loop).result(5)

    @property
    def config(self) -> dict:
        return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": self.port, "MAIL_SUPPRESS_SEND": False,
                "MAIL_USE_TLS": False, "MAIL_USE_SSL": False}

    def recipients(self) -> list[str]:
        with self.lock:
            return [r for m in self.messages for r in m["rcpt_tos"]]

    def refuse(self, address: str, code: int = 550, text: str = "5.1.1 no such user") -> None:
        self.refused[address.lower()] = (code, text)

    def outage(self) -> None:
        async def _close():
            self.server.close()
            await self.server.wait_closed()

        asyncio.run_coroutine_threadsafe(_close(), self.loop).result(5)

    def restore(self) -> None:
        self._listen()

    def hold_at(self, n: int) -> None:
        self.hold_number = n

    def release(self) -> None:
        self.release_event.set()

    def close(self) -> None:
        self.release_event.set()
        try:
            self.outage()
        except Exception:
            pass
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def smtp_sink():
    sink = SmtpSink()
    yield sink
    sink.close()
