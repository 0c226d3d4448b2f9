"""The public site as static files, for nginx, a CDN or object storage (`flask mirror --out DIR`).

Every page is the app's own answer to a stranger's GET (no cookies, no
Accept-Language), fetched through the test client, so the mirror holds the
bytes the app serves. Only public pages go in: the main page and the pages
of tenants that are not private; an answer that says `Cache-Control:
private` is refused outright, whatever asked for it.

`DIR` is a symbolic link to a finished build in a sibling folder
(`.DIR.builds/`): a new build is written beside it and the link is replaced
with one rename, so a reader opening a file sees the old tree or the new
one, never a mix or a half-written file. The build before stays on disk, so
a reader that resolved the link just before the flip still finds its file.
Files whose bytes did not change are hard-linked from the previous build.
"""
from __future__ import annotations

import fcntl
import logging
import mimetypes
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from flask import Flask

from ..services import tenants as tenant_pages
from ..services import visibility as vis
from ..services.visibility import Viewer

log = logging.getLogger(__name__)

PAGE_PATHS = ("/", "/history", "/feed.rss", "/feed.atom", "/badge.svg")
API_PATHS = ("summary.json", "status.json", "components.json", "incidents.json", "incidents/unresolved.json",
             "scheduled-maintenances.json", "scheduled-maintenances/upcoming.json",
             "scheduled-maintenances/active.json")
COMPONENT_FEEDS = ("feed.rss", "feed.atom")
STATIC_CACHE_CONTROL = "public, max-age=300"


class MirrorError(RuntimeError):
    """The site could not be rendered completely; the published tree is left as it was."""


@dataclass(frozen=True)
class MirrorFile:
    """One file of the mirror: where it lives in the tree and what a server should say about it."""

    path: str            # relative to the tree, e.g. "incidents/3/index.html"
    body: bytes
    content_type: str
    cache_control: str


def file_for(url: str) -> str:
    """Where the answer to `url` lives in the tree: `/` and `/history` become directory indexes."""
    path = url.lstrip("/")
    if not path or path.endswith("/"):
        return path + "index.html"
    if "." in path.rsplit("/", 1)[-1]:
        return path
    return path + "/index.html"


def scope_urls(prefix: str, viewer: Viewer) -> list[str]:
    """The URLs of one page (main or one tenant's): pages, feeds, badge, API v2, every incident."""
    urls = [prefix + p for p in PAGE_PATHS]
    urls += [f"{prefix}/api/v2/{name}" for name in API_PATHS]
    urls += [f"{prefix}/incidents/{incident_id}" for incident_id in vis.visible_incident_ids(viewer)]
    return urls


def site_urls() -> list[str]:
    """Every public URL the mirror holds, the main page's first."""
    urls = scope_urls("", Viewer())
    for comp in vis.visible_components(Viewer(), for_display=False):
        urls += [f"/components/{comp.id}/{name}" for name in COMPONENT_FEEDS]
    for tenant in tenant_pages.public_tenants():
        urls += scope_urls(f"/t/{tenant.slug}", Viewer(tenant.id))
    return urls


def render_site(app: Flask) -> list[MirrorFile]:
    """The whole public site in memory; a MirrorError if any page does not answer 200 and public."""
    client = app.test_client(use_cookies=False)
    files = []
    for url in site_urls():
        resp = client.get(url)
        cache_control = resp.headers.get("Cache-Control", "")
        if resp.status_code != 200:
            raise MirrorError(f"{url} answered {resp.status_code}")
        if "private" in cache_control or "no-store" in cache_control:
            raise MirrorError(f"{url} is not public ({cache_control})")
        if resp.headers.get("Warning"):  # a stale copy while the database is down: keep the last good tree
            raise MirrorError(f"{url} answered from a stale copy")
        files.append(MirrorFile(file_for(url), resp.get_data(), resp.content_type, cache_control))
    return files + static_files(app)


def static_files(app: Flask) -> list[MirrorFile]:
    root = Path(app.static_folder)
    files = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        content_type = app.response_class.default_mimetype
        guessed = _guess_type(rel)
        files.append(MirrorFile(f"static/{rel}", path.read_bytes(), guessed or content_type, STATIC_CACHE_CONTROL))
    return files


def _guess_type(name: str) -> str | None:
    guessed, _ = mimetypes.guess_type(name)
    if guessed in ("text/css", "text/javascript", "application/javascript"):
        return f"{guessed}; charset=utf-8"
    return guessed


def builds_dir(out: Path) -> Path:
    return out.parent / f".{out.name}.builds"


def publish(app: Flask, out: str | os.PathLike, files: list[MirrorFile] | None = None) -> Path:
    """Render the site (unless `files` are given), write it beside `out`, flip `out` to it; the new build."""
    out = Path(os.path.abspath(out))
    if files is None:
        files = render_site(app)
    builds = builds_dir(out)
    builds.mkdir(parents=True, exist_ok=True)
    with open(builds / ".lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one writer at a time: the CLI next to a running republisher
        previous = out.resolve() if out.is_symlink() else None
        build = Path(tempfile.mkdtemp(prefix=time.strftime("%Y%m%dT%H%M%S-"), dir=builds))
        try:
            os.chmod(build, 0o755)  # mkdtemp makes 0700; the web server reads the tree as another user
            write_tree(build, files, previous)
            _flip(out, build)
        except BaseException:
            shutil.rmtree(build, ignore_errors=True)
            raise
        _prune(builds, keep={build.resolve(), previous})
    return build


def write_tree(build: Path, files: list[MirrorFile], previous: Path | None) -> None:
    for item in files:
        target = build / item.path
        target.parent.mkdir(parents=True, exist_ok=True)
        old = previous / item.path if previous is not None else None
        if old is not None and _same_bytes(old, item.body):
            try:
                os.link(old, target)  # unchanged since the last build: share it instead of writing it again
                continue
            except OSError:
                pass
        with open(target, "wb") as fh:
            fh.write(item.body)
        os.chmod(target, 0o644)


def _same_bytes(path: Path, body: bytes) -> bool:
    try:
        return path.stat().st_size == len(body) and path.read_bytes() == body
    except OSError:
        return False


def _flip(out: Path, build: Path) -> None:
    """Point `out` at `build` with one rename (atomic on POSIX)."""
    if out.exists() and not out.is_symlink():
        if not out.is_dir():
            raise MirrorError(f"{out} exists and is not a directory")
        if any(out.iterdir()):
            # A tree left by something else: set aside once (the only moment `out` is briefly missing).
            aside = builds_dir(out) / f"replaced-{int(time.time())}"
            log.warning("mirror: moving the existing %s aside to %s", out, aside)
            os.rename(out, aside)
        else:
            out.rmdir()
    link = builds_dir(out) / f".link-{os.getpid()}-{time.monotonic_ns()}"
    os.symlink(os.path.relpath(build, out.parent), link)
    os.replace(link, out)


def _prune(builds: Path, keep: set) -> None:
    """Remove builds older than the two newest (the new one and the one readers may still be in)."""
    for entry in builds.iterdir():
        if entry.is_dir() and not entry.is_symlink() and entry.resolve() not in keep and not entry.name.startswith("replaced-"):
            shutil.rmtree(entry, ignore_errors=True)
