"""Email over SMTP: one connection per worker, reused across batches; sendmail on prepared bytes."""
from __future__ import annotations

import smtplib
import socket
import time
from contextlib import contextmanager

from flask_mail import Connection

from ..base import Channel, DeliveryError
from .mime import MessageDefect, message_bytes, sender_mailbox
from .render import render_message, render_notice


SMTP_TIMEOUT = 30
# A connection idle longer than this is checked with NOOP before the next message.
IDLE_CHECK_SECONDS = 5.0


class _TimedConnection(Connection):
    """Flask-Mail's connection with a socket timeout: a hung server must not hang the worker."""

    def configure_host(self):
        m = self.mail
        cls = smtplib.SMTP_SSL if m.use_ssl else smtplib.SMTP
        host = cls(m.server, m.port, timeout=SMTP_TIMEOUT)
        if m.use_tls:
            host.starttls()
        if m.username and m.password:
            host.login(m.username, m.password)
        return host


def classify_smtp_error(exc: Exception) -> DeliveryError:
    """SMTP 5xx is permanent; 4xx, timeouts and dropped connections are worth another try."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        code = max(codes) if codes else 450
        detail = "; ".join(f"{c} {m.decode(errors='replace') if isinstance(m, bytes) else m}"
                           for c, m in exc.recipients.values())
        return DeliveryError(f"SMTP refused the recipient: {detail}", permanent=code >= 500)
    if isinstance(exc, smtplib.SMTPResponseException):
        msg = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return DeliveryError(f"SMTP {exc.smtp_code} {msg}", permanent=exc.smtp_code >= 500)
    if isinstance(exc, (smtplib.SMTPServerDisconnected, socket.timeout, TimeoutError, ConnectionError, OSError)):
        return DeliveryError(f"SMTP server unreachable: {exc.__class__.__name__}: {exc}")
    return DeliveryError(f"SMTP error: {exc.__class__.__name__}: {exc}")


class EmailChannel(Channel):
    """Sends on one SMTP connection kept across batches (`close()` ends it), PIPELINING when the server offers it."""

    name = "email"
    renders_once_per_notice = True
    render = staticmethod(render_notice)
    render_message = staticmethod(render_message)

    @classmethod
    def is_configured(cls, app) -> bool:
        return bool(app.config.get("MAIL_SERVER"))

    def __init__(self, app):
        super().__init__(app)
        self.connection: _TimedConnection | None = None
        self.pipelining = False
        self.last_used = 0.0
        self.envelope_sender = sender_mailbox(app.config.get("MAIL_DEFAULT_SENDER"))[1]
        # Set when the server could not be reached: the rest of the batch is retried
        # later at once instead of each row waiting out its own connect timeout.
        self.unreachable: DeliveryError | None = None

    @contextmanager
    def batch(self):
        """A run of sends; the connection stays open for the next batch (a worker calls close() when done)."""
        self.unreachable = None
        yield self

    def close(self) -> None:
        conn = self.connection
        if conn is not None and conn.host is not None:
            try:
                conn.host.quit()
            except Exception:  # the server went away: nothing left to close politely
                pass
        self.connection = None

    def _host(self):
        if self.unreachable is not None:
            raise self.unreachable
        if self.connection is None:
            self.connection = _TimedConnection(self.app.extensions["mail"])
        conn = self.connection
        if conn.host is not None and time.monotonic() - self.last_used > IDLE_CHECK_SECONDS:
            # Servers close idle sessions: check before trusting a message to this one.
            try:
                if conn.host.noop()[0] != 250:
                    raise smtplib.SMTPServerDisconnected("NOOP refused")
            except Exception:
                self._drop_connection()
        if conn.host is None:
            try:
                conn.host = conn.configure_host()
                conn.host.ehlo_or_helo_if_needed()
            except Exception as exc:
                conn.host = None
                err = classify_smtp_error(exc)
                if not err.permanent:
                    self.unreachable = err
                raise err from exc
            self.pipelining = bool(self.app.config.get("SMTP_PIPELINING", True)) and conn.host.has_extn("pipelining")
        return conn.host

    def prepare(self, delivery, message: dict) -> tuple[str, bytes]:
        """(Message-ID, the bytes to send) for `message` to `delivery.recipient`."""
        msg_id = (message.get("headers") or {}).get("Message-ID") or message_id(self.app, delivery)
        try:
            data = message_bytes(message, sender=self.app.config.get("MAIL_DEFAULT_SENDER"),
                                 recipient=delivery.recipient, message_id=msg_id)
        except MessageDefect as exc:
            self.app.logger.error("delivery %s: defect in our own message, not sent: %s", delivery.id, exc)
            raise DeliveryError(f"refused: {exc}", permanent=True) from exc
        return msg_id, data

    def send(self, delivery, message: dict) -> str | None:
        msg_id, data = self.prepare(delivery, message)
        self.send_bytes(delivery.recipient, data, delivery.id)
        return msg_id

    def send_bytes(self, recipient: str, data: bytes, delivery_id=None) -> None:
        """sendmail of prepared bytes to one recipient; raises DeliveryError."""
        try:
            host = self._host()
            if self.pipelining:
                _pipelined_sendmail(host, self.envelope_sender, recipient, data)
            else:
                host.sendmail(self.envelope_sender, [recipient], data)
            self.last_used = time.monotonic()
        except DeliveryError:
            raise
        except Exception as exc:
            err = classify_smtp_error(exc)
            if isinstance(exc, smtplib.SMTPDataError) and err.permanent:
                # The server took the recipient and refused the message itself: the fault is ours.
                self.app.logger.error("delivery %s: defect: the server refused our message: %s", delivery_id,
                                      err.message)
            if not isinstance(exc, smtplib.SMTPRecipientsRefused) or not err.permanent:
                # The connection state is unknown after a failure: start a fresh one for the next row.
                self._drop_connection()
            raise err from exc

    def _drop_connection(self) -> None:
        conn = self.connection
        if conn is not None and conn.host is not None:
            try:
                conn.host.close()
            except Exception:
                pass
            conn.host = None


def _pipelined_sendmail(host: smtplib.SMTP, sender: str, recipient: str, data: bytes) -> None:
    """smtplib's sendmail for one recipient in two round trips (RFC 2920): MAIL, RCPT and DATA go together.

    Raises what sendmail raises, and leaves the session ready for the next message.
    """
    host.send(f"MAIL FROM:{_quoted(sender)}\r\nRCPT TO:{_quoted(recipient)}\r\nDATA\r\n")
    mail, rcpt, ready = host.getreply(), host.getreply(), host.getreply()
    if ready[0] == 354 and (mail[0] != 250 or rcpt[0] not in (250, 251)):
        host.send(b".\r\n")  # the server opened DATA although a command before it failed: close it empty
        host.getreply()
    if mail[0] != 250:
        _reset(host, mail[0])
        raise smtplib.SMTPSenderRefused(mail[0], mail[1], sender)
    if rcpt[0] not in (250, 251):
        _reset(host, rcpt[0])
        raise smtplib.SMTPRecipientsRefused({recipient: rcpt})
    if ready[0] != 354:
        _reset(host, ready[0])
        raise smtplib.SMTPDataError(*ready)
    body = smtplib._quote_periods(data) if data.startswith(b".") or b"\n." in data else data
    if body[-2:] != b"\r\n":
        body += b"\r\n"
    host.send(body + b".\r\n")
    code, reply = host.getreply()
    if code != 250:
        _reset(host, code)
        raise smtplib.SMTPDataError(code, reply)


def _quoted(address: str) -> str:
    """smtplib.quoteaddr, without its parsing for the plain addresses we send to."""
    if address and not any(c in address for c in '<>" ,;:()[]\\'):
        return f"<{address}>"
    return smtplib.quoteaddr(address)


def _reset(host: smtplib.SMTP, code: int) -> None:
    if code == 421:
        host.close()
    else:
        host._rset()


def message_id(app, delivery) -> str:
    """Stable per outbox row, so a receiving system can recognise a repeat."""
    domain = (app.config.get("MAIL_DEFAULT_SENDER") or "status@localhost").rsplit("@", 1)[-1].strip("> ")
    return f"<delivery-{delivery.id}@{domain}>"
