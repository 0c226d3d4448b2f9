"""A lean SMTP sink for the delivery bench: accepts and discards, offers PIPELINING, costs little CPU per message.

    .venv/bin/python bench/fast_sink.py [--no-pipelining]   # prints "PORT <n>"; on SIGTERM "COUNT <n> FIRST <t> LAST <t>"

The aiosmtpd sink (sinks.py) spends about 1.2 ms of CPU per message on this machine: on 2 cores it, not the
sender, would set every rate above ~700 msg/s and make a second worker look useless. This one speaks just
enough SMTP (EHLO/HELO, MAIL, RCPT, DATA with dot-terminated content, RSET, NOOP, QUIT) in an asyncio
Protocol, like a real MTA answers pipelined commands in order, and records the wall-clock time at which it
accepted the last message (`LAST`, time.time()), which the bench uses as "the SMTP server's acceptance".
"""
from __future__ import annotations

import asyncio
import signal
import socket
import sys
import time

EHLO = b"250-sink\r\n250-8BITMIME\r\n250-SIZE 52428800\r\n"


class SinkProtocol(asyncio.Protocol):
    count = 0
    first = 0.0
    last = 0.0
    pipelining = True

    def connection_made(self, transport):
        self.transport = transport
        self.buffer = b""
        self.in_data = False
        transport.write(b"220 sink ESMTP\r\n")

    def data_received(self, data: bytes) -> None:
        buf = self.buffer + data
        out = []
        pos = 0
        while True:
            if self.in_data:
                if buf.startswith(b".\r\n", pos):
                    end, skip = pos, 3
                else:
                    end = buf.find(b"\r\n.\r\n", pos)
                    skip = 5
                    if end < 0:
                        break
                pos = end + skip
                self.in_data = False
                SinkProtocol.count += 1
                SinkProtocol.last = time.time()
                if SinkProtocol.count == 1:
                    SinkProtocol.first = SinkProtocol.last
                out.append(b"250 2.0.0 accepted\r\n")
                continue
            end = buf.find(b"\r\n", pos)
            if end < 0:
                break
            verb = buf[pos:pos + 4].upper()
            pos = end + 2
            if verb in (b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                out.append(b"250 2.0.0 ok\r\n")
            elif verb == b"DATA":
                out.append(b"354 go ahead\r\n")
                self.in_data = True
            elif verb == b"EHLO":
                out.append(EHLO + (b"250-PIPELINING\r\n" if SinkProtocol.pipelining else b"") + b"250 HELP\r\n")
            elif verb == b"HELO":
                out.append(b"250 sink\r\n")
            elif verb == b"QUIT":
                out.append(b"221 bye\r\n")
                self.transport.write(b"".join(out))
                self.transport.close()
                return
            else:
                out.append(b"500 unknown command\r\n")
        self.buffer = buf[pos:]
        if out:
            self.transport.write(b"".join(out))


def main() -> None:
    SinkProtocol.pipelining = "--no-pipelining" not in sys.argv
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(loop.create_server(SinkProtocol, sock=sock))
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    loop.add_signal_handler(signal.SIGTERM, loop.stop)
    loop.add_signal_handler(signal.SIGINT, loop.stop)
    loop.run_forever()
    print(f"COUNT {SinkProtocol.count} FIRST {SinkProtocol.first:.6f} LAST {SinkProtocol.last:.6f}", flush=True)
    server.close()


if __name__ == "__main__":
    main()
