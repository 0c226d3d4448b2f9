"""Email bytes built once per (update, locale, tenant) and personalised per row by substituting values.

The rendering side (notices.delivery_message, then the email channel's MIME
building) is run for two stand-in subscribers that differ in every value a
row carries (the token, the subscriber id, the signed tenant link, the
recipient, the Date and the row id) but have the row's lengths, since
quoted-printable lines and folded headers break by length: one template per
notice and combination of lengths. When substituting the second set of values into the first message gives
exactly the second message (MIME boundaries aside), the first message is a
template: each row then costs a few `bytes.replace` calls instead of Jinja
and a MIME tree. When it does not (an encoding that moves or re-encodes a
value), every row of that notice is built in full, as before.
"""
from __future__ import annotations

import random
import re
import threading
import time
from email.utils import formatdate
from types import SimpleNamespace

from ..extensions import db
from ..models import IncidentUpdate, Subscriber, Tenant
from ..notices import delivery_message
from ..tenant_links import subscriber_link_token

_SAFE_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}\Z")
_SAFE_RECIPIENT = re.compile(r"[A-Za-z0-9._+-]{1,64}@[A-Za-z0-9.-]{1,120}\Z")
_BOUNDARY = re.compile(rb'boundary="([^"]+)"')
_DATE = re.compile(rb"^Date: ([^\r\n]+)\r\n", re.MULTILINE)
CACHE_SIZE = 512
MIN_ID_DIGITS = 3
_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_LOWER = "abcdefghijklmnopqrstuvwxyz0123456789"


def _stand_in(variant: int, token_len: int, recipient_len: int, sub_digits: int, row_digits: int) -> dict | None:
    """Values of exactly the row's lengths (quoted-printable lines and folded headers depend on them)."""
    rnd = random.Random(f"{variant}:{token_len}:{recipient_len}:{sub_digits}:{row_digits}")
    domain = "@sp.invalid" if recipient_len >= 12 else "@q.zz"
    local_len = recipient_len - len(domain)
    if local_len < 1 or min(token_len, sub_digits, row_digits) < 1:
        return None

    def digits(n: int) -> int:
        return int(rnd.choice("123456789") + "".join(rnd.choice("0123456789") for _ in range(n - 1)))

    return {"row_id": digits(row_digits), "sub_id": digits(sub_digits),
            "token": "".join(rnd.choice(_ALNUM) for _ in range(token_len)),
            "recipient": "".join(rnd.choice(_LOWER) for _ in range(local_len)) + domain}


class EmailTemplate:
    """One notice's bytes with stand-in values, and how to put a row's values in."""

    def __init__(self, data: bytes, stand_in: dict, private_tenant, date: bytes):
        self.stand_in = stand_in
        self.tenant = private_tenant
        self.parts = _split(data, stand_in, date)

    def personalise(self, row_id: int, sub_id: int, token: str, recipient: str, date: bytes) -> tuple[str, bytes]:
        values = _values(self.stand_in, row_id, sub_id, token, recipient, self.tenant)
        encoded = {name: value.encode() for name, value in values.items()}
        encoded["date"] = date
        out = []
        for part in self.parts:
            if part.__class__ is bytes:
                out.append(part)
                continue
            name, breaks = part
            value = encoded[name]
            for at in breaks:  # a quoted-printable soft line break fell inside the stand-in: same place here
                value = value[:at] + _SOFT_BREAK + value[at:]
            out.append(value)
        return values["message_id"], b"".join(out)


_SOFT_BREAK = b"=\r\n"


def _split(data: bytes, stand_in: dict, date: bytes) -> list:
    """`data` cut at each stand-in value: literal bytes, and in between (name of the value, soft-break offsets).

    One pass per row (a join) instead of one replace per value; the Message-ID, which holds the subscriber's
    id, is matched before the bare id, and a bare id only where it is not part of a longer number. A value
    in a quoted-printable body may be cut by a soft line break; a row's value of the same length is cut at
    the same place.
    """
    def broken(value: bytes) -> bytes:
        return rb"(?:=\r\n)?".join(re.escape(value[i:i + 1]) for i in range(len(value)))

    fields = [("message_id", re.escape(stand_in["message_id"].encode()))]
    if "link" in stand_in:
        fields.append(("link", broken(stand_in["link"].encode())))
    fields += [("recipient", broken(stand_in["recipient"].encode())), ("token", broken(stand_in["token"].encode())),
               ("date", re.escape(date)),
               ("sub_id", rb"(?<![0-9])" + re.escape(stand_in["sub_key"].encode()) + rb"(?![0-9])")]
    pattern = re.compile(b"|".join(b"(" + expr + b")" for _, expr in fields))
    parts: list = []
    pos = 0
    for match in pattern.finditer(data):
        parts.append(data[pos:match.start()])
        text = match.group(0)
        breaks = []
        while (at := text.find(_SOFT_BREAK)) >= 0:
            breaks.append(at)
            text = text[:at] + text[at + len(_SOFT_BREAK):]
        parts.append((fields[match.lastindex - 1][0], tuple(breaks)))
        pos = match.end()
    parts.append(data[pos:])
    return parts


def _values(stand_in: dict, row_id: int, sub_id: int, token: str, recipient: str, tenant) -> dict:
    values = {"row_id": str(row_id), "sub_id": str(sub_id), "token": token, "recipient": recipient}
    if tenant is not None:
        values["link"] = subscriber_link_token(tenant, SimpleNamespace(id=sub_id, token=token))
    message_id = _replace(stand_in["message_id"].encode(), stand_in["sub_key"].encode(), values["sub_id"].encode())
    values["message_id"] = _replace(message_id, stand_in["row_key"].encode(), values["row_id"].encode()).decode()
    return values


def _replace(data: bytes, old: bytes, new: bytes) -> bytes:
    """bytes.replace; a short number only where it stands alone (not inside a longer number)."""
    if len(old) < 6 and old.isdigit():
        return re.sub(rb"(?<![0-9])" + old + rb"(?![0-9])", new.replace(b"\\", b"\\\\"), data)
    return data.replace(old, new)


class PreparedEmails:
    """Templates per notice for one worker; `bytes_for(row)` is None when the row must be built in full."""

    def __init__(self, app, channel):
        self.app = app
        self.channel = channel
        self.templates: dict[tuple, EmailTemplate | None] = {}
        self.lock = threading.Lock()
        self._date_second = -1
        self._date = b""

    def now_date(self) -> bytes:
        second = int(time.time())
        if second != self._date_second:
            self._date = formatdate(second, localtime=False, usegmt=True).encode()
            self._date_second = second
        return self._date

    def bytes_for(self, row) -> tuple[str, bytes] | None:
        """(Message-ID, bytes) for a claimed email row of an update; `row` has the columns worker.EMAIL_ROW reads."""
        if not (_SAFE_TOKEN.match(row.token or "") and _SAFE_RECIPIENT.match(row.recipient or "")):
            return None
        lengths = (len(row.token), len(row.recipient), len(str(row.subscriber_id)), len(str(row.id)))
        if lengths[2] < MIN_ID_DIGITS:  # a one- or two-digit id is found all over a message: build in full
            return None
        key = (row.update_id, row.update_updated_at, row.incident_id, row.incident_updated_at, row.locale,
               row.tenant_id, row.tenant_updated_at, lengths)
        if key not in self.templates:
            if len(self.templates) >= CACHE_SIZE:
                self.templates.clear()
            self.templates[key] = self._template(row, lengths)
        template = self.templates[key]
        if template is None:
            return None
        return template.personalise(row.id, row.subscriber_id, row.token, row.recipient, self.now_date())

    def _template(self, row, lengths: tuple) -> EmailTemplate | None:
        update = db.session.get(IncidentUpdate, row.update_id)
        subscriber = db.session.get(Subscriber, row.subscriber_id)
        if update is None or subscriber is None:
            return None
        tenant = db.session.get(Tenant, row.tenant_id) if row.tenant_id is not None else None
        private = tenant if tenant is not None and tenant.private else None
        for pair in ((1, 2), (3, 4), (5, 6)):  # short ids may collide with other digits: try other stand-ins
            template = self._verified(update, subscriber, private, [_stand_in(v, *lengths) for v in pair])
            if template is not None:
                return template
        self.app.logger.info("update %s: its email bytes do not take substituted values %s; built per row",
                             row.update_id, lengths)
        return None

    def _verified(self, update, subscriber, private, stand_ins: list) -> EmailTemplate | None:
        if None in stand_ins:
            return None
        built = []
        for stand_in in stand_ins:
            try:
                built.append(self._build(update, subscriber, stand_in, private))
            except Exception:  # the full build per row will say what is wrong with this notice
                self.app.logger.info("no prepared template for update %s", update.id, exc_info=True)
                return None
        (first, first_in, first_date), (second, second_in, second_date) = built
        template = EmailTemplate(first, first_in, private, first_date)
        # The second build, made the way a row is: by putting its values into the first.
        message_id, guess = template.personalise(int(second_in["row_key"]), int(second_in["sub_key"]),
                                                 second_in["token"], second_in["recipient"], second_date)
        expected = second
        for mine, theirs in zip(_BOUNDARY.findall(second), _BOUNDARY.findall(first)):
            expected = expected.replace(mine, theirs)
        if guess != expected or message_id != second_in["message_id"]:
            return None
        return template

    def _build(self, update, subscriber, stand_in: dict, tenant) -> tuple[bytes, dict, bytes]:
        """The real rendering and MIME building for a transient subscriber carrying the stand-in values."""
        ghost = Subscriber(id=stand_in["sub_id"], token=stand_in["token"], address=stand_in["recipient"],
                           channel=subscriber.channel, locale=subscriber.locale, tenant_id=subscriber.tenant_id,
                           confirmed=True, opted_out=False)
        row = SimpleNamespace(id=stand_in["row_id"], kind="update", update=update, subscriber=ghost,
                              recipient=stand_in["recipient"], payload=None)
        message = delivery_message(row)
        message_id, data = self.channel.prepare(row, message)
        date = _DATE.search(data)
        if date is None:
            raise ValueError("no Date header")
        values = {"token": stand_in["token"], "recipient": stand_in["recipient"],
                  "sub_key": str(stand_in["sub_id"]), "row_key": str(stand_in["row_id"]), "message_id": message_id}
        if tenant is not None:
            values["link"] = subscriber_link_token(tenant, ghost)
        return data, values, date.group(1)
