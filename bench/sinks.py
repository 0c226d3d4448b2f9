"""Loopback stand-ins the benches send to: an SMTP sink that accepts and discards, and the Twilio double.

    .venv/bin/python bench/sinks.py smtp      # prints "PORT <n>", then counts messages until killed
    from sinks import start_sink, TimedTwilio

The SMTP sink runs in its own process (start_sink), so its CPU is not the sender's GIL. On SIGTERM it
writes its count to stdout ("COUNT <n>").
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def serve_smtp() -> None:
    import asyncio
    import socket

    from aiosmtpd.smtp import SMTP

    class Discard:
        count = 0

        async def handle_DATA(self, server, session, envelope):
            Discard.count += 1
            return "250 OK"

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    loop = asyncio.new_event_loop()
    handler = Discard()
    server = loop.run_until_complete(loop.create_server(lambda: SMTP(handler, hostname="sink"), sock=sock))
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    loop.add_signal_handler(signal.SIGTERM, loop.stop)
    loop.add_signal_handler(signal.SIGINT, loop.stop)
    loop.run_forever()
    print(f"COUNT {Discard.count}", flush=True)
    server.close()


class SmtpSink:
    """The sink process; `port`, and `stop()` returns how many messages it accepted."""

    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, __file__, "smtp"], stdout=subprocess.PIPE, text=True,
                                     cwd="/tmp")
        line = self.proc.stdout.readline().split()
        self.port = int(line[1])

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        out, _ = self.proc.communicate(timeout=30)
        for line in out.splitlines():
            if line.startswith("COUNT"):
                return int(line.split()[1])
        return -1


def start_sink() -> SmtpSink:
    return SmtpSink()


def timed_twilio():
    """tests/doubles/twilio.py's double, recording the arrival time of every accepted message."""
    sys.path.insert(0, str(ROOT))
    from tests.doubles.twilio import TwilioDouble

    class TimedTwilio(TwilioDouble):
        def __init__(self):
            self.arrivals: list[float] = []
            super().__init__()

        def _answer(self, handler, form):
            self.arrivals.append(time.time())
            return super()._answer(handler, form)

    return TimedTwilio()


if __name__ == "__main__":
    if sys.argv[1:] == ["smtp"]:
        os.chdir("/tmp")
        serve_smtp()
    else:
        raise SystemExit(__doc__)
