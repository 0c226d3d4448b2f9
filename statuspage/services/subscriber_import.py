"""Subscribers from and to CSV (email,phone,tenant,components,locale): the registration spreadsheet case.

Streams: rows are validated and written in batches, so a million-row file
needs the memory of one batch. The whole file is one transaction: with any
rejected row nothing is kept unless `partial` is set. Imported subscribers
are confirmed (the company already has their consent); one who opted out
stays opted out.
"""
from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field

import click
from flask_babel import gettext as _
from sqlalchemy import delete, insert, select, tuple_, update

from ..csv_safe import SafeWriter, unquote
from ..extensions import db
from ..i18n import normalize_locale
from ..models import Component, Subscriber, Tenant, subscriber_component, utcnow
from . import audit
from .audit import Actor
from .subscriptions import SubscriptionError, normalize_email, normalize_phone, subscriber_values

COLUMNS = ("email", "phone", "tenant", "components", "locale")
BATCH = 1000
MAX_REPORTED_ERRORS = 1000


@dataclass
class ImportReport:
    rows: int = 0
    added: int = 0
    updated: int = 0
    duplicates: int = 0
    rejected: int = 0
    errors: list = field(default_factory=list)
    committed: bool = False

    def reject(self, row: int, reason: str) -> None:
        self.rejected += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append({"row": row, "reason": reason})

    def as_dict(self) -> dict:
        return {"rows": self.rows, "added": self.added, "updated": self.updated, "duplicates": self.duplicates,
                "rejected": self.rejected, "errors": self.errors, "committed": self.committed}


class _Lookups:
    """Tenants and components are few: resolve names once, not per row."""

    def __init__(self):
        self.tenants: dict[str, int] = {}
        for t in db.session.query(Tenant).filter(Tenant.deleted_at.is_(None)):
            self.tenants[t.slug.lower()] = t.id
            self.tenants.setdefault(t.name.strip().lower(), t.id)
        self.components: dict[str, int] = {}
        for c in db.session.query(Component).filter(Component.deleted_at.is_(None)):
            self.components[str(c.id)] = c.id
            self.components.setdefault(c.name.strip().lower(), c.id)


def _parse_row(values: dict, lookups: _Lookups) -> list[dict]:
    """One CSV row -> subscriber dicts (an email and a phone make two); SubscriptionError when bad."""
    email, phone = (values.get("email") or "").strip(), (values.get("phone") or "").strip()
    if not email and not phone:
        raise SubscriptionError(_("no email or phone"))
    tenant_id = None
    tenant = (values.get("tenant") or "").strip()
    if tenant:
        tenant_id = lookups.tenants.get(tenant.lower())
        if tenant_id is None:
            raise SubscriptionError(_("unknown tenant '%(name)s'", name=tenant))
    component_ids = []
    for token in (values.get("components") or "").replace("|", ";").replace(",", ";").split(";"):
        if token.strip():
            cid = lookups.components.get(token.strip().lower())
            if cid is None:
                raise SubscriptionError(_("unknown component '%(name)s'", name=token.strip()))
            component_ids.append(cid)
    raw_locale = (values.get("locale") or "").strip()
    locale = normalize_locale(raw_locale) if raw_locale else "en"
    if locale is None:
        raise SubscriptionError(_("unknown locale '%(name)s' (use en or zh_Hans)", name=raw_locale))
    out = []
    if email:
        try:
            out.append({"channel": "email", "address": normalize_email(email)})
        except SubscriptionError:
            raise SubscriptionError(_("bad email '%(address)s'", address=email))
    if phone:
        try:
            out.append({"channel": "sms", "address": normalize_phone(phone, check_country=False)})
        except SubscriptionError:
            raise SubscriptionError(_("bad phone '%(number)s'", number=phone))
    for item in out:
        item.update(tenant_id=tenant_id, locale=locale, component_ids=sorted(set(component_ids)))
    return out


def _rows(reader):
    """(line number, {column: value}) with or without a header row."""
    header = None
    for number, raw in enumerate(reader, start=1):
        if not raw or not any(cell.strip() for cell in raw):
            continue
        if header is None:
            cells = [c.strip().lower().lstrip("\ufeff") for c in raw]
            if "email" in cells or "phone" in cells:
                header = cells
                continue
            header = list(COLUMNS)
        yield number, dict(zip(header, (unquote(cell) for cell in raw)))


def import_csv_stream(stream, partial: bool = False, progress=None, actor: Actor | None = None) -> ImportReport:
    """Import from a text stream; commits (with an audit entry), or rolls back everything when a row is bad
    and not `partial`."""
    report = ImportReport()
    lookups = _Lookups()
    stamp = utcnow()  # updated_at of every row this import touches: how a later repeat is recognised
    batch: dict[tuple, dict] = {}
    try:
        for number, values in _rows(csv.reader(stream)):
            report.rows += 1
            try:
                items = _parse_row(values, lookups)
            except SubscriptionError as exc:
                report.reject(number, exc.message)
                continue
            for item in items:
                key = (item["channel"], item["address"], item["tenant_id"] or 0)
                if key in batch:
                    report.duplicates += 1
                batch[key] = item
            if len(batch) >= BATCH:
                _write(batch, stamp, report)
                batch = {}
                if progress:
                    progress()
        if batch:
            _write(batch, stamp, report)
    except UnicodeDecodeError:
        db.session.rollback()
        report.reject(report.rows + 1, "the file is not UTF-8 text")
        return report
    except csv.Error as exc:
        db.session.rollback()
        report.reject(report.rows + 1, f"not a CSV file: {exc}")
        return report
    if report.rejected and not partial:
        db.session.rollback()
        report.added = report.updated = 0
        return report
    report.committed = True
    audit.record("subscriber.import", "subscriber", None, actor=actor,
                 after={k: v for k, v in report.as_dict().items() if k != "errors"},
                 summary=f"Imported subscribers: {report.added} added, {report.updated} updated, "
                         f"{report.rejected} rejected")
    db.session.commit()
    return report


def _write(batch: dict[tuple, dict], stamp, report: ImportReport) -> None:
    table = Subscriber.__table__
    pairs = list({(k[0], k[1]) for k in batch})
    existing: dict[tuple, tuple[int, object]] = {}
    for sid, channel, address, tenant_id, updated_at in db.session.execute(
            select(table.c.id, table.c.channel, table.c.address, table.c.tenant_id, table.c.updated_at)
            .where(tuple_(table.c.channel, table.c.address).in_(pairs))):
        existing[(channel, address, tenant_id or 0)] = (sid, updated_at)
    new_rows, ids = [], {}
    for key, item in batch.items():
        found = existing.get(key)
        if found is None:
            new_rows.append(subscriber_values(key[0], key[1], tenant_id=item["tenant_id"], locale=item["locale"],
                                              all_components=not item["component_ids"], confirmed=True,
                                              source="import", now=stamp))
            continue
        sid, updated_at = found
        ids[key] = sid
        if updated_at == stamp:
            report.duplicates += 1
        else:
            report.updated += 1
        db.session.execute(update(table).where(table.c.id == sid).values(
            locale=item["locale"], all_components=not item["component_ids"], confirmed=True,
            deleted_at=None, updated_at=stamp))
    if new_rows:
        db.session.execute(insert(table), new_rows)
        report.added += len(new_rows)
        for sid, channel, address, tenant_id in db.session.execute(
                select(table.c.id, table.c.channel, table.c.address, table.c.tenant_id)
                .where(tuple_(table.c.channel, table.c.address).in_([(r["channel"], r["address"]) for r in new_rows]))):
            ids.setdefault((channel, address, tenant_id or 0), sid)
    touched = [ids[k] for k in batch if k in ids]
    if touched:
        db.session.execute(delete(subscriber_component).where(subscriber_component.c.subscriber_id.in_(touched)))
    links = [{"subscriber_id": ids[k], "component_id": cid} for k, item in batch.items() if k in ids
             for cid in item["component_ids"]]
    if links:
        db.session.execute(insert(subscriber_component), links)


def import_csv_file(path: str, partial: bool = False, echo=print, actor: Actor | None = None) -> ImportReport:
    """The CLI: stream the file with a progress bar, then print the report."""
    size = os.path.getsize(path)
    with open(path, "rb") as raw, click.progressbar(length=size, label="Importing", file=None) as bar:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        seen = [0]

        def progress():
            pos = raw.tell()
            bar.update(pos - seen[0])
            seen[0] = pos

        report = import_csv_stream(text, partial=partial, progress=progress, actor=actor)
        bar.update(size - seen[0])
    echo(f"rows: {report.rows}, added: {report.added}, updated: {report.updated}, "
         f"duplicates: {report.duplicates}, rejected: {report.rejected}")
    for err in report.errors[:50]:
        echo(f"  row {err['row']}: {err['reason']}")
    if report.rejected > 50:
        echo(f"  ... and {report.rejected - 50} more")
    if not report.committed:
        echo("Nothing was imported: fix the rows above, or run again with --partial to keep the good rows.")
        raise SystemExit(1)
    return report


def export_csv(out, actor: Actor | None = None) -> int:
    """Write every live subscriber as email,phone,tenant,components,locale; returns the row count.

    The export is audited (a list of customers left the building), committed when the file is complete.
    """
    count = _write_csv(out)
    audit.record("subscriber.export", "subscriber", None, actor=actor, summary=f"Exported {count} subscribers")
    db.session.commit()
    return count


def _write_csv(out) -> int:
    writer = SafeWriter(out)
    writer.writerow(COLUMNS)
    tenants = {t.id: t.slug for t in db.session.query(Tenant)}
    table = Subscriber.__table__
    count = 0
    last_id = 0
    while True:
        chunk = db.session.execute(
            select(table.c.id, table.c.channel, table.c.address, table.c.tenant_id, table.c.locale,
                   table.c.all_components)
            .where(table.c.deleted_at.is_(None), table.c.channel.in_(("email", "sms")), table.c.id > last_id)
            .order_by(table.c.id).limit(BATCH)).all()
        if not chunk:
            return count
        links: dict[int, list[str]] = {}
        for sid, cid in db.session.execute(select(subscriber_component.c.subscriber_id, subscriber_component.c.component_id)
                                           .where(subscriber_component.c.subscriber_id.in_([r[0] for r in chunk]))):
            links.setdefault(sid, []).append(str(cid))
        for sid, channel, address, tenant_id, locale, all_components in chunk:
            comps = "" if all_components else ";".join(sorted(links.get(sid, []), key=int))
            writer.writerow([address if channel == "email" else "", address if channel == "sms" else "",
                             tenants.get(tenant_id, ""), comps, locale])
            count += 1
        last_id = chunk[-1][0]
