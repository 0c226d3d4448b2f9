"""Keep the static mirror fresh: with `MIRROR_DIR` set, every public change republishes it within 2 s.

One thread per machine does it (a file lock beside the mirror; the other
gunicorn workers' threads wait to take over if its process dies). It reads
the data versions (`site_state`, `tenant_state`) four times a second, so changes
made by any process are seen, and a commit in its own process that changed
public data wakes it at once. A new UTC hour republishes too, as the app re-renders its uptime bars
then. While the database is down nothing is published: the last good tree
stays where it is, which is the point of having it.
"""
from __future__ import annotations

import fcntl
import logging
import os
import threading
from datetime import datetime, timezone
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..extensions import db
from ..services import page_inputs
from . import mirror_s3
from .mirror import Build, builds_dir, publish, render_site

log = logging.getLogger(__name__)

POLL_SECONDS = 0.25
LOCK_RETRY_SECONDS = 2.0
ERROR_BACKOFF_SECONDS = 2.0

_wake = threading.Event()
_hooks_installed = False
_started: dict[int, threading.Thread] = {}


def install_commit_wakeup() -> None:
    """Wake the republisher when a commit in this process changed what the public sees."""
    global _hooks_installed
    if _hooks_installed:
        return

    # The version listener (cache.py) marks the session during the flush; the mark is gone by
    # after_commit, so note it here and act once the data is really committed.
    @event.listens_for(Session, "after_flush")
    def _note_public_change(session, _flush_context):
        if session.info.get("site_version_bumped") or session.info.get("tenant_versions_bumped"):
            session.info["mirror_wake"] = True

    @event.listens_for(Session, "after_commit")
    def _wake_after_commit(session):
        if session.info.pop("mirror_wake", None):
            _wake.set()

    @event.listens_for(Session, "after_rollback")
    def _forget_on_rollback(session):
        session.info.pop("mirror_wake", None)

    _hooks_installed = True


def publish_key() -> tuple | None:
    """What the published tree must match: the data versions, read now, and the UTC hour; None while the
    database is down."""
    try:
        versions = page_inputs.data_version()
    except Exception:  # the database is down: nothing new to publish, and the last tree stays
        db.session.rollback()
        return None
    return versions, datetime.now(timezone.utc).strftime("%Y-%m-%dT%H")


def publish_everywhere(app: Flask, out: str | os.PathLike, reuse: dict | None = None, carry: Build | None = None,
                       last: Build | None = None) -> Build:
    """Render once, then write the tree to `out` and, when configured, to object storage; the new build.

    `reuse` and `carry` (its files): see render_site; `last`: see publish.
    """
    files = render_site(app, reuse, carry.files if carry is not None else None)
    build = publish(app, out, files, last)
    if app.config.get("MIRROR_S3_BUCKET"):
        mirror_s3.sync(files, mirror_s3.settings_from(app.config))
    return build


def run_republisher(app: Flask, out: str | os.PathLike, stop: threading.Event) -> None:
    """Publish whenever the key changes, until `stop` is set; only while holding the machine's lock."""
    out = Path(os.path.abspath(out))
    builds_dir(out).mkdir(parents=True, exist_ok=True)
    lock_path = builds_dir(out) / ".publisher.lock"
    with app.app_context():
        while not stop.is_set():
            with open(lock_path, "a+") as lock:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    stop.wait(LOCK_RETRY_SECONDS)
                    continue
                _publish_while(app, out, stop)


def _publish_while(app: Flask, out: Path, stop: threading.Event) -> None:
    published = None
    reuse: dict = {}
    last: Build | None = None
    while not stop.is_set():
        wait = POLL_SECONDS
        try:
            key = publish_key()
            if key is not None and key != published:
                if published is None or key[1] != published[1]:
                    reuse.clear()  # a full render every hour, whatever the fingerprints say
                if last is not None:  # the main page first, the tenants' pages carried over; then everything
                    last = publish_everywhere(app, out, reuse, carry=last, last=last)
                last = publish_everywhere(app, out, reuse, last=last)
                published = key
                log.info("mirror: published %d files for versions %s to %s", len(last.files), key[0], out)
        except Exception:  # the database restarting, a full disk: keep the last tree, try again shortly
            log.exception("mirror: publishing failed; the previous tree stays")
            wait = ERROR_BACKOFF_SECONDS
        finally:
            db.session.remove()
        _wake.wait(wait)
        _wake.clear()


def start_republisher(app: Flask, out: str | os.PathLike | None = None) -> threading.Thread | None:
    """Start the republishing thread once per process (create_app does when serving with MIRROR_DIR set)."""
    out = out or app.config.get("MIRROR_DIR")
    if not out:
        return None
    key = os.getpid()
    if key in _started and _started[key].is_alive():
        return _started[key]
    install_commit_wakeup()
    stop = threading.Event()
    thread = threading.Thread(target=run_republisher, args=(app, out, stop), name="statuspage-mirror", daemon=True)
    thread.stop_event = stop  # type: ignore[attr-defined]
    thread.start()
    _started[key] = thread
    return thread
