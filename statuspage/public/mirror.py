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

from ..cache import current_version, forget_version
from ..services import page_inputs
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


@dataclass(frozen=True)
class Page:
    """A URL to mirror and, for pages that can be reused, the fingerprint of what it is made of."""

    url: str
    fingerprint: str | None = None   # None: render every time (index, history, feeds, badge, API)


def scope_pages(prefix: str, viewer: Viewer, shared: str) -> list[Page]:
    """One page (main or one tenant's): pages, feeds, badge, API v2, every incident it may show."""
    inputs = page_inputs.incident_inputs(viewer)
    pages = [Page(prefix + p) for p in PAGE_PATHS]
    pages += [Page(f"{prefix}/api/v2/{name}") for name in API_PATHS]
    pages += [Page(f"{prefix}/incidents/{iid}", f"{shared}:{fp}") for iid, fp in sorted(inputs.by_incident.items())]
    if not prefix:
        for comp in vis.visible_components(viewer, for_display=False):
            touching = ",".join(inputs.by_incident[i] for i in inputs.by_component.get(comp.id, ()))
            pages += [Page(f"/components/{comp.id}/{name}", f"{shared}:{touching}") for name in COMPONENT_FEEDS]
    return pages


def site_pages() -> list[Page]:
    """Every public page the mirror holds, the main page's first."""
    shared = page_inputs.shared_fingerprint()
    pages = scope_pages("", Viewer(), shared)
    for tenant in tenant_pages.public_tenants():
        pages += scope_pages(f"/t/{tenant.slug}", Viewer(tenant.id), shared)
    return pages


def site_urls() -> list[str]:
    return [page.url for page in site_pages()]


def render_site(app: Flask, reuse: dict | None = None, carry: dict | None = None) -> list[MirrorFile]:
    """The whole public site in memory; a MirrorError if any page does not answer 200 and public.

    `reuse` ({url: (fingerprint, MirrorFile)}, kept by the caller between runs) skips pages whose
    fingerprint has not changed, and is updated to this run's pages. `carry` ({path: MirrorFile},
    the last tree) is a quick pass: tenant pages still in the site are taken from it as they were,
    so the main page goes out first and the tenants' follow in a full pass right after.
    """
    client = app.test_client(use_cookies=False)
    pages = site_pages()
    # A page the app renders now may come from its cache, keyed by the data version it last read
    # (a memo up to a second old): make it read the version afresh. Only when that version is at
    # least the one the fingerprints were read at do this run's bytes surely show those inputs;
    # else they are used but not remembered.
    read_at = page_inputs.data_version()
    forget_version()
    rendering = current_version()
    trusted = rendering is not None and rendering[0] >= read_at[0]
    files, remembered = [], {}
    for page in pages:
        kept = (reuse or {}).get(page.url)
        carried = carry.get(file_for(page.url)) if carry is not None and page.url.startswith("/t/") else None
        if carried is not None:
            item = carried
            if kept is not None:
                remembered[page.url] = kept
        elif page.fingerprint is not None and kept is not None and kept[0] == page.fingerprint:
            item = kept[1]
            remembered[page.url] = kept
        else:
            item = fetch(client, page.url, gone_ok=page.fingerprint is not None)
            if item is None:  # deleted or hidden since the list was read: simply not in this tree
                continue
            if page.fingerprint is not None and trusted:
                remembered[page.url] = (page.fingerprint, item)
        files.append(item)
    if reuse is not None:
        reuse.clear()
        reuse.update(remembered)
    return files + static_files(app)


def fetch(client, url: str, gone_ok: bool = False) -> MirrorFile | None:
    """The app's answer to `url` as a mirror file; None for a 404 when `gone_ok` (an incident just hidden)."""
    resp = client.get(url)
    cache_control = resp.headers.get("Cache-Control", "")
    if resp.status_code == 404 and gone_ok:
        return None
    if resp.status_code != 200:
        raise MirrorError(f"{url} answered {resp.status_code}")
    if "private" in cache_control or "no-store" in cache_control:
        raise MirrorError(f"{url} is not public ({cache_control})")
    if resp.headers.get("Warning"):  # a stale copy while the database is down: keep the last good tree
        raise MirrorError(f"{url} answered from a stale copy")
    return MirrorFile(file_for(url), resp.get_data(), resp.content_type, cache_control)


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


@dataclass(frozen=True)
class Build:
    """A finished tree and the files it holds (so the next build can compare in memory)."""

    path: Path
    files: dict[str, MirrorFile]


def publish(app: Flask, out: str | os.PathLike, files: list[MirrorFile] | None = None,
            last: Build | None = None) -> Build:
    """Render the site (unless `files` are given), write it beside `out`, flip `out` to it; the new build.

    `last`: the build this caller published before; when it is still the one `out` points at, unchanged
    files are recognised without reading them back.
    """
    out = Path(os.path.abspath(out))
    if files is None:
        files = render_site(app)
    builds = builds_dir(out)
    builds.mkdir(parents=True, exist_ok=True)
    with open(builds / ".lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one writer at a time: the CLI next to a running republisher
        previous = out.resolve() if out.is_symlink() else None
        known = last.files if last is not None and previous is not None and last.path.resolve() == previous else None
        build = Path(tempfile.mkdtemp(prefix=time.strftime("%Y%m%dT%H%M%S-"), dir=builds))
        try:
            os.chmod(build, 0o755)  # nosec B103: mkdtemp makes 0700; the web server reads the public tree as another user
            write_tree(build, files, previous, known)
            _flip(out, build)
        except BaseException:
            shutil.rmtree(build, ignore_errors=True)
            raise
        _prune(builds, keep={build.resolve(), previous})
    return Build(build, {item.path: item for item in files})


def write_tree(build: Path, files: list[MirrorFile], previous: Path | None,
               known: dict[str, MirrorFile] | None = None) -> None:
    made = set()
    for item in files:
        target = build / item.path
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        if previous is not None and _unchanged(previous / item.path, item, known):
            try:
                os.link(previous / item.path, target)  # unchanged: share it instead of writing it again
                continue
            except OSError:
                pass
        with open(target, "wb") as fh:
            fh.write(item.body)
        os.chmod(target, 0o644)


def _unchanged(old: Path, item: MirrorFile, known: dict[str, MirrorFile] | None) -> bool:
    if known is not None:
        before = known.get(item.path)
        return before is not None and (before is item or before.body == item.body)
    try:
        return old.stat().st_size == len(item.body) and old.read_bytes() == item.body
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
