"""The static mirror (`flask mirror --out DIR`, and MIRROR_DIR's republisher): complete, public only, atomic, fresh."""
from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest

from statuspage.extensions import db
from statuspage.public import mirror, republish
from statuspage.services.audit import Actor
from statuspage.services.incidents import create_incident
from tests.factories import gen_component, gen_incident, gen_tenant, gen_update

API = ["summary.json", "status.json", "components.json", "incidents.json", "incidents/unresolved.json",
       "scheduled-maintenances.json", "scheduled-maintenances/upcoming.json", "scheduled-maintenances/active.json"]
SECRETS = ("globex", "Globex", "Vault ledger frozen", "Globex settlement engine")


@pytest.fixture
def site(app):
    """A main page, a public tenant (northwind) and a private one (globex) with things only it may see."""
    api = gen_component("API")
    northwind = gen_tenant("Northwind")
    globex = gen_tenant("Globex", private=True)
    gen_component("Globex settlement engine", tenant=globex)
    public = gen_incident("Withdrawals failing", components=[api])
    shared = gen_incident("Reports delayed", visibility="tenants", tenants=[northwind, globex])
    hidden = gen_incident("Vault ledger frozen", visibility="tenants", tenants=[globex])
    gen_incident("Draft never shown", draft=True)
    db.session.commit()
    return {"api": api, "northwind": northwind, "public": public, "shared": shared, "hidden": hidden}


def expected_urls(site) -> list[str]:
    main = ["/", "/history", "/feed.rss", "/feed.atom", "/badge.svg"] + [f"/api/v2/{n}" for n in API]
    urls = main + [f"/incidents/{site['public'].id}"]
    urls += [f"/components/{site['api'].id}/feed.rss", f"/components/{site['api'].id}/feed.atom"]
    urls += ["/t/northwind" + u for u in main]
    urls += [f"/t/northwind/incidents/{site['public'].id}", f"/t/northwind/incidents/{site['shared'].id}"]
    return urls


def tree(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}


def test_every_public_url_is_in_the_mirror_with_the_bytes_the_app_serves(app, runner, site, tmp_path):
    out = tmp_path / "site"
    result = runner.invoke(args=["mirror", "--out", str(out)])
    assert result.exit_code == 0, result.output
    files = tree(out)
    reader = app.test_client()
    for url in expected_urls(site):
        served = reader.get(url)
        assert served.status_code == 200, url
        assert files.pop(mirror.file_for(url)) == served.get_data(), url
    for name in list(files):
        assert name.startswith("static/"), f"unexpected file in the mirror: {name}"
        assert files.pop(name) == reader.get("/" + name).get_data(), name
    assert "Mirrored" in result.output


def test_no_private_tenant_or_its_incidents_anywhere_in_the_mirror(app, site, tmp_path):
    out = tmp_path / "site"
    mirror.publish(app, out)
    assert not (out / "t" / "globex").exists()
    assert not (out / "incidents" / str(site["hidden"].id)).exists()
    for name, body in tree(out).items():
        for secret in SECRETS:
            assert secret not in name and secret.encode() not in body, f"{secret!r} in {name}"


def test_file_for_maps_pages_to_directory_indexes():
    assert mirror.file_for("/") == "index.html"
    assert mirror.file_for("/t/acme/") == "t/acme/index.html"
    assert mirror.file_for("/history") == "history/index.html"
    assert mirror.file_for("/incidents/7") == "incidents/7/index.html"
    assert mirror.file_for("/api/v2/incidents/unresolved.json") == "api/v2/incidents/unresolved.json"


def test_out_is_a_link_flipped_to_each_new_build_and_old_builds_are_pruned(app, site, tmp_path):
    out = tmp_path / "site"
    builds = [mirror.publish(app, out).path for _ in range(4)]
    assert out.is_symlink() and out.resolve() == builds[-1].resolve()
    kept = [p for p in mirror.builds_dir(out).iterdir() if p.is_dir()]
    assert sorted(kept) == sorted([builds[-2], builds[-1]])


def test_unchanged_files_are_shared_with_the_previous_build(app, site, tmp_path):
    out = tmp_path / "site"
    first = mirror.publish(app, out).path
    gen_incident("Cards declined")
    db.session.commit()
    second = mirror.publish(app, out).path
    assert os.stat(first / "static/style.css").st_ino == os.stat(second / "static/style.css").st_ino
    assert (first / "index.html").read_bytes() != (second / "index.html").read_bytes()
    assert b"Cards declined" in (out / "index.html").read_bytes()


def test_an_existing_empty_directory_becomes_the_link(app, site, tmp_path):
    out = tmp_path / "site"
    out.mkdir()
    mirror.publish(app, out)
    assert out.is_symlink() and (out / "index.html").is_file()


def test_a_republish_renders_only_changed_incident_pages_and_matches_a_full_render(app, site, monkeypatch):
    reuse: dict = {}
    mirror.render_site(app, reuse)
    gen_update(site["public"], body="Fixed the ledger.")
    db.session.commit()
    fetched = []
    real_fetch = mirror.fetch
    monkeypatch.setattr(mirror, "fetch", lambda client, url, gone_ok=False: fetched.append(url)
                        or real_fetch(client, url, gone_ok))
    incremental = {f.path: f.body for f in mirror.render_site(app, reuse)}
    assert f"/incidents/{site['public'].id}" in fetched
    assert f"/t/northwind/incidents/{site['public'].id}" in fetched
    assert f"/t/northwind/incidents/{site['shared'].id}" not in fetched
    monkeypatch.setattr(mirror, "fetch", real_fetch)
    assert incremental == {f.path: f.body for f in mirror.render_site(app)}
    assert b"Fixed the ledger." in incremental[f"incidents/{site['public'].id}/index.html"]


def test_the_quick_pass_never_carries_a_tenant_that_became_private(app, site):
    last = {f.path: f for f in mirror.render_site(app)}
    assert "t/northwind/index.html" in last
    site["northwind"].private = True
    db.session.commit()
    quick = mirror.render_site(app, carry=last)
    assert not [f.path for f in quick if f.path.startswith("t/northwind")]


def test_a_page_that_fails_leaves_the_last_good_tree_in_place(app, site, tmp_path, monkeypatch):
    out = tmp_path / "site"
    good = mirror.publish(app, out).path

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away mid-render")

    monkeypatch.setattr("statuspage.services.visibility.history_page", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)  # a 500, as in production
    gen_incident("Cards declined")  # a new version: the history page is rendered again
    db.session.commit()
    with pytest.raises(mirror.MirrorError, match="/history answered 500"):
        mirror.publish(app, out)
    assert out.resolve() == good.resolve()
    assert [p for p in mirror.builds_dir(out).iterdir() if p.is_dir()] == [good]


def test_nothing_is_published_while_the_database_is_down(app, monkeypatch):
    def down():
        raise OSError("connection refused")

    monkeypatch.setattr("statuspage.services.page_inputs.data_version", down)
    assert republish.publish_key() is None


def test_an_incident_hidden_mid_render_is_left_out_not_an_error(app, site, monkeypatch):
    hidden_url = f"/incidents/{site['public'].id}"
    real_fetch = mirror.fetch

    def fetch_after_hiding(client, url, gone_ok=False):
        if url == hidden_url:
            site["public"].draft = True
            db.session.commit()
        return real_fetch(client, url, gone_ok)

    monkeypatch.setattr(mirror, "fetch", fetch_after_hiding)
    files = {f.path for f in mirror.render_site(app)}
    assert "index.html" in files and mirror.file_for(hidden_url) not in files


def test_a_reader_never_sees_a_missing_or_partial_file_during_republishes(app, site, tmp_path):
    out = tmp_path / "site"
    watched = ["index.html", "feed.rss", "api/v2/summary.json", f"incidents/{site['public'].id}/index.html",
               "history/index.html", "static/style.css"]
    versions: dict[str, set[bytes]] = {name: set() for name in watched}

    def publish_once():
        files = mirror.render_site(app)
        for item in files:
            if item.path in versions:
                versions[item.path].add(item.body)
        mirror.publish(app, out, files)

    publish_once()
    stop, seen, problems = threading.Event(), [], []

    def read_forever():
        while not stop.is_set():
            for name in watched:
                try:
                    seen.append((name, (out / name).read_bytes()))
                except OSError as exc:
                    problems.append(f"{name}: {exc}")

    readers = [threading.Thread(target=read_forever) for _ in range(3)]
    for thread in readers:
        thread.start()
    try:
        for n in range(8):
            gen_incident(f"Surge incident {n}")
            db.session.commit()
            publish_once()
    finally:
        stop.set()
        for thread in readers:
            thread.join()
    assert not problems, problems[:5]
    assert len(seen) > 50
    partial = [name for name, body in seen if body not in versions[name]]
    assert not partial, f"{len(partial)} reads saw bytes no build had, e.g. {partial[:3]}"
    assert json.loads((out / "api/v2/summary.json").read_bytes())["incidents"]


@pytest.mark.parametrize("audience, page", [("public", "index.html"), ("northwind", "t/northwind/index.html")])
def test_posting_an_incident_republishes_the_mirror_within_two_seconds(app, site, tmp_path, audience, page):
    out = tmp_path / "site"
    scope = {} if audience == "public" else {"visibility": "tenants", "tenants": [site["northwind"]]}
    republish.install_commit_wakeup()
    stop = threading.Event()
    worker = threading.Thread(target=republish.run_republisher, args=(app, out, stop), daemon=True)
    worker.start()
    try:
        wait_for(lambda: (out / page).is_file(), 20)
        create_incident(name="Ledger sync delayed", status="investigating", body="Looking into it.",
                        actor=Actor.cli(), deliver_notifications=False, **scope)
        started = time.monotonic()
        wait_for(lambda: b"Ledger sync delayed" in (out / page).read_bytes(), 10)
        elapsed = time.monotonic() - started
    finally:
        stop.set()
        republish._wake.set()
        worker.join(10)
    assert elapsed <= 2.0, f"the mirror named the incident after {elapsed:.2f} s"


def wait_for(check, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.02)
    raise AssertionError("timed out")
