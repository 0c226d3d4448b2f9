"""Private tenant pages: signed links, rotation, the access cookie, and a 404 like any unknown page."""
from __future__ import annotations

from urllib.parse import urlsplit

from statuspage.extensions import db
from statuspage.services.tenants import access_token, access_url, rotate_access, verify_access
from tests.factories import gen_component, gen_incident, gen_tenant


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def test_access_url_is_absolute_and_verifies(app):
    globex = gen_tenant("Globex", private=True)
    db.session.commit()
    url = access_url(globex)
    assert url.startswith("http://status.test/t/globex/?access=")
    assert verify_access(globex, url.split("access=", 1)[1])


def test_token_of_one_tenant_does_not_open_another(app):
    acme, globex = gen_tenant("Acme", private=True), gen_tenant("Globex", private=True)
    db.session.commit()
    assert not verify_access(acme, access_token(globex))
    assert not verify_access(acme, "garbage")
    assert not verify_access(acme, None)


def test_rotating_kills_old_links(app, client):
    globex = gen_tenant("Globex", private=True)
    db.session.commit()
    old = access_url(globex)
    new = rotate_access(globex)
    db.session.commit()
    assert old != new
    assert client.get(path_of(old)).status_code == 404
    assert client.get(path_of(new)).status_code == 303


def test_private_tenant_without_access_is_the_same_404_as_an_unknown_slug(app, client):
    gen_tenant("Globex", private=True)
    db.session.commit()
    locked = client.get("/t/globex/")
    unknown = client.get("/t/no-such-tenant/")
    assert locked.status_code == unknown.status_code == 404
    # The same bytes, once the address itself (echoed in the language links) is set aside.
    same = lambda resp: resp.data.replace(b"no-such-tenant", b"globex")  # noqa: E731
    assert same(locked) == same(unknown)
    for suffix in ("history", "feed.atom", "api/v2/summary.json", "incidents/1"):
        a, b = client.get(f"/t/globex/{suffix}"), client.get(f"/t/no-such-tenant/{suffix}")
        assert a.status_code == b.status_code == 404
        assert same(a) == same(b)


def test_valid_link_sets_a_cookie_and_further_navigation_works(app, client):
    globex = gen_tenant("Globex", private=True)
    incident = gen_incident("Gateway slow", visibility="tenants", tenants=[globex])
    db.session.commit()
    first = client.get(path_of(access_url(globex)))
    assert first.status_code == 303
    assert first.headers["Location"].endswith("/t/globex/")
    assert "access=" not in first.headers["Location"]
    page = client.get("/t/globex/")
    assert page.status_code == 200
    assert "Gateway slow" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"].startswith("private")
    assert client.get(f"/t/globex/incidents/{incident.id}").status_code == 200
    assert client.get("/t/globex/api/v2/incidents.json").status_code == 200
    # The cookie is for Globex only.
    other = gen_tenant("Initech", private=True)
    db.session.commit()
    assert client.get(f"/t/{other.slug}/").status_code == 404


def test_feed_reader_can_use_the_access_token_in_the_query(app, client):
    globex = gen_tenant("Globex", private=True)
    gen_incident("Gateway slow", visibility="tenants", tenants=[globex])
    db.session.commit()
    token = access_token(globex)
    resp = client.get(f"/t/globex/feed.atom?access={token}")
    assert resp.status_code == 200
    assert b"Gateway slow" in resp.data
    assert f"access={token}".encode() in resp.data  # links inside keep working for the reader


def test_public_tenant_page_needs_no_link(app, client):
    acme = gen_tenant("Acme")
    gen_component("Acme portal", tenant=acme)
    db.session.commit()
    resp = client.get("/t/acme/")
    assert resp.status_code == 200
    assert "Acme portal" in resp.get_data(as_text=True)
    assert resp.headers["Cache-Control"].startswith("public")


def test_no_surface_of_one_tenant_mentions_another_tenants_private_things(app, client):
    """Every page, feed and API answer of each tenant, checked for the others' marked secrets."""
    from sqlalchemy import select

    from statuspage.models import Incident, utcnow

    tenants = [gen_tenant(name, private=private) for name, private in
               (("Alpha", True), ("Bravo", True), ("Charlie", False))]
    shared = gen_component("Shared API")
    for tenant in tenants:
        secret = gen_component(f"secret-component-{tenant.slug}", tenant=tenant, status="partial_outage")
        gen_incident(f"secret-incident-{tenant.slug}", visibility="tenants", tenants=[tenant],
                     components=[secret, shared], body=f"secret-body-{tenant.slug}")
        # A public incident that names the tenant and touches its private component.
        gen_incident(f"Public incident touching {tenant.slug}", tenants=[tenant], components=[secret, shared],
                     status="resolved", resolved_at=utcnow())
    db.session.commit()
    incident_ids = list(db.session.scalars(select(Incident.id).order_by(Incident.id)))
    surfaces = ["", "history", "feed.atom", "feed.rss"] + [f"incidents/{i}" for i in incident_ids] + [
        f"api/v2/{e}" for e in ("summary.json", "components.json", "incidents.json", "incidents/unresolved.json",
                                "scheduled-maintenances.json")]
    for viewer in tenants + [None]:
        prefix = f"/t/{viewer.slug}/" if viewer else "/"
        query = f"?access={access_token(viewer)}" if viewer and viewer.private else ""
        others = [t.slug for t in tenants if t is not viewer]
        for surface in surfaces:
            resp = client.get(prefix + surface + query)
            body = resp.get_data(as_text=True)
            for slug in others:
                for marker in (f"secret-component-{slug}", f"secret-incident-{slug}", f"secret-body-{slug}"):
                    assert marker not in body, f"{prefix}{surface} shows {marker}"
            if viewer is not None and resp.status_code == 200 and surface in ("", "api/v2/summary.json"):
                assert f"secret-component-{viewer.slug}" in body
    # Names of private tenants never appear outside their own pages; the public one may.
    public_about_alpha = db.session.scalars(select(Incident.id).where(Incident.name.contains("touching alpha"))).one()
    assert "Alpha" not in client.get(f"/incidents/{public_about_alpha}").get_data(as_text=True)
