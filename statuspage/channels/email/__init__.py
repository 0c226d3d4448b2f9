"""Email through Flask-Mail, one SMTP connection per batch."""
from __future__ import annotations

import smtplib
import socket
from contextlib import contextmanager

from flask_mail import Connection

from ..base import Channel, DeliveryError
from .mime import MessageDefect, message_bytes, sender_mailbox
from .render import render_message, render_notice

SMTP_TIMEOUT = 30


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
        # Set when the server could not be reached: the rest of the batch is retried
        # later at once instead of each row waiting out its own connect timeout.
        self.unreachable: DeliveryError | None = None

    @contextmanager
    def batch(self):
        conn = _TimedConnection(self.app.extensions["mail"])
        self.connection = conn
        try:
            yield self
        finally:
            if conn.host is not None:
                try:
                    conn.host.quit()
                except Exception:  # the server went away: nothing left to close politely
                    pass
            self.connection = None

    def _host(self):
        conn = self.connection
        if self.unreachable is not None:
            raise self.unreachable
        if conn.host is None:
            try:
                conn.host = conn.configure_host()
            except Exception as exc:
                err = classify_smtp_error(exc)
                if not err.permanent:
                    self.unreachable = err
                raise err from exc
        return conn

    def send(self, delivery, message: dict) -> str | None:
        msg_id = (message.get("headers") or {}).get("Message-ID") or message_id(self.app, delivery)
        sender = self.app.config.get("MAIL_DEFAULT_SENDER")
        try:
            data = message_bytes(message, sender=sender, recipient=delivery.recipient, message_id=msg_id)
        except MessageDefect as exc:
            self.app.logger.error("delivery %s: defect in our own message, not sent: %s", delivery.id, exc)
            raise DeliveryError(f"refused: {exc}", permanent=True) from exc
        try:
            conn = self._host()
            conn.host.sendmail(sender_mailbox(sender)[1], [delivery.recipient], data)
        except DeliveryError:
            raise
        except Exception as exc:
            err = classify_smtp_error(exc)
            if isinstance(exc, smtplib.SMTPDataError) and err.permanent:
                # The server took the recipient and refused the message itself: the fault is ours.
                self.app.logger.error("delivery %s: defect: the server refused our message: %s", delivery.id,
                                      err.message)
            if not isinstance(exc, smtplib.SMTPRecipientsRefused) or not err.permanent:
                # The connection state is unknown after a failure: start a fresh one for the next row.
                self._drop_connection()
            raise err from exc
        return msg_id

    def _drop_connection(self) -> None:
        conn = self.connection
        if conn is not None and conn.host is not None:
            try:
                conn.host.close()
            except Exception:
                pass
            conn.host = None


def message_id(app, delivery) -> str:
    """Stable per outbox row, so a receiving system can recognise a repeat."""
    domain = (app.config.get("MAIL_DEFAULT_SENDER") or "status@localhost").rsplit("@", 1)[-1].strip("> ")
    return f"<delivery-{delivery.id}@{domain}>"
