"""A rendered email message as the bytes an SMTP server accepts.

Every part is UTF-8 in quoted-printable, so no line exceeds RFC 5322's 998
octets however long a paragraph is or however many bytes its characters
take; headers are RFC 2047-encoded where they are not ASCII. The text part
comes first (multipart/alternative prefers the last part it can show).
"""
from __future__ import annotations

from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

# RFC 5322 2.1.1: 998 octets a line, without CRLF.
MAX_LINE_OCTETS = 998
# Headers that hold URLs or message ids: folding them the usual way turns a long unbreakable
# token (List-Unsubscribe's mailto) into RFC 2047 encoded-words, which no client reads as a
# link. They are written as given, one item a line (each well under 998 octets).
_VERBATIM = frozenset({"list-unsubscribe", "list-unsubscribe-post", "message-id", "in-reply-to", "references"})


class _SmtpPolicy(policy.EmailPolicy):
    def fold_binary(self, name, value):
        if name.lower() not in _VERBATIM:
            return super().fold_binary(name, value)
        items = [item.strip() for item in " ".join(str(value).split()).split(", ")]
        return (f"{name}: " + f",{self.linesep} ".join(items) + self.linesep).encode("ascii")


_POLICY = _SmtpPolicy(linesep="\r\n", max_line_length=78)


class MessageDefect(ValueError):
    """Our own message is malformed: a bug to fix, not a recipient to give up on."""


def sender_mailbox(configured) -> tuple[str, str]:
    """(display name, address) of MAIL_DEFAULT_SENDER ("Name <a@b>", "a@b" or a (name, address) pair)."""
    if isinstance(configured, (tuple, list)):
        return configured[0] or "", configured[1]
    name, address = parseaddr(configured or "status@localhost")
    return name, address or "status@localhost"


def build_message(message: dict, *, sender, recipient: str, message_id: str) -> EmailMessage:
    """The MIME message of a rendered `message` ({"subject", "text", "html", "sender_name", "headers"})."""
    subject = message.get("subject") or ""
    if "\r" in subject or "\n" in subject:
        raise MessageDefect("the subject contains a line break (header injection)")
    configured_name, address = sender_mailbox(sender)
    user, _, domain = address.rpartition("@")
    msg = EmailMessage(policy=_POLICY)
    msg["From"] = Address(display_name=message.get("sender_name") or configured_name, username=user, domain=domain)
    msg["To"] = recipient
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = message_id
    for name, value in (message.get("headers") or {}).items():
        if name.lower() in ("message-id", "from", "to", "subject", "date"):
            continue
        if "\r" in value or "\n" in value:
            raise MessageDefect(f"the {name} header contains a line break (header injection)")
        msg[name] = value
    msg.set_content(message.get("text") or "", subtype="plain", charset="utf-8", cte="quoted-printable")
    if message.get("html"):
        msg.add_alternative(message["html"], subtype="html", charset="utf-8", cte="quoted-printable")
    return msg


def message_bytes(message: dict, *, sender, recipient: str, message_id: str) -> bytes:
    """build_message as CRLF bytes, checked against the 998-octet line limit."""
    data = build_message(message, sender=sender, recipient=recipient, message_id=message_id).as_bytes(policy=_POLICY)
    longest = max((len(line) for line in data.split(b"\r\n")), default=0)
    if longest > MAX_LINE_OCTETS:
        raise MessageDefect(f"a line of {longest} octets (the limit is {MAX_LINE_OCTETS})")
    return data
