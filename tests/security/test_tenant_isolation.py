"""Every public and feed URL, seen by tenant A's viewer, an anonymous visitor, and the holder of
tenant B's old (rotated) link: none of them ever sees B's private incidents, components or subscribers."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from statuspage.services.tenants import access_url, rotate_access
from tests.factories import gen_component, gen_incident, gen_subscriber, gen_tenant

SECRETS = ("B-SECRET-INCIDENT", "B-SECRET-COMPONENT", "B-SECRET-UPDATE", "Beta Secret Corp")
SUFFIXES = ("", "history", "feed.rss", "feed.atom", "embed", "badge.svg", "api/v2/summary.json",
            "api/v2/status.json", "api/v2/components.json", "api/v2/incidents.json",
            "api/v2/incidents/unresolved.json", "api/v2/scheduled-maintenances.json",
            "api/v2/scheduled-maintenances/upcoming.json", "api/v2/scheduled-maintenances/active.json")


@pytest.fixture
def world(app, db):
    a = gen_tenant("Alpha", private=True)
    b = gen_tenant("Beta Secret Corp", slug="beta", private=True)
    public = gen_component("Public API")
    secret_comp = gen_component("B-SECRET-COMPONENT", tenant=b)
    gen_incident("Alpha only", visibility="tenants", tenants=[a])
    secret = gen_incident("B-SECRET-INCIDENT", body="B-SECRET-UPDATE", visibility="tenants", tenants=[b],
                          components=[secret_comp])
    gen_incident("Everyone", components=[public])
    for i in range(7):
        gen_subscriber(f"b{i}@example.com", tenant=b)
    db.session.commit()
    old_b_link = access_url(b)
    rotate_access(b)
    db.session.commit()
    return {"a": a, "b": b, "secret": secret, "secret_comp": secret_comp, "old_b": old_b_link,
            "a_link": access_url(a)}


def _urls(world):
    urls = [f"/{s}" for s in SUFFIXES] + [f"/t/alpha/{s}" for s in SUFFIXES] + [f"/t/beta/{s}" for s in SUFFIXES]
    urls += [f"/incidents/{world['secret'].id}", f"/t/alpha/incidents/{world['secret'].id}",
             f"/t/beta/incidents/{world['secret'].id}", f"/components/{world['secret_comp'].id}/feed.atom",
             f"/components/{world['secret_comp'].id}/feed.rss", "/subscribe", "/subscribe?tenant=beta"]
    return urls


def _assert_no_secret(resp, url, who):
    body = resp.get_data(as_text=True)
    for secret in SECRETS:
        assert secret not in body, f"{who} saw {secret!r} at {url}"
    assert resp.status_code < 500, (who, url, resp.status_code)
    if url.endswith(".json") and resp.status_code == 200:
        assert "subscriber" not in body.lower(), (who, url)


def _as(client, link):
    """A browser that followed `link` once (its cookie is kept, as for a real visitor)."""
    parts = urlsplit(link)
    client.get(f"{parts.path}?{parts.query}")
    return client


def test_viewer_of_tenant_a_never_sees_tenant_b(app, world):
    client = _as(app.test_client(), world["a_link"])
    assert "Alpha only" in client.get("/t/alpha/").get_data(as_text=True)  # the link really opens A's page
    for url in _urls(world):
        _assert_no_secret(client.get(url), url, "tenant A's viewer")
        _assert_no_secret(client.get(url + ("&" if "?" in url else "?") + "access=" + world["a_link"].split("access=")[1]),
                          url, "tenant A's token on B's urls")


def test_anonymous_visitor_never_sees_tenant_b(app, world):
    client = app.test_client()
    for url in _urls(world):
        _assert_no_secret(client.get(url), url, "anonymous")


def test_holder_of_a_rotated_link_never_sees_tenant_b(app, world):
    client = app.test_client()
    parts = urlsplit(world["old_b"])
    assert client.get(f"{parts.path}?{parts.query}").status_code == 404
    old_token = parts.query.split("access=")[1]
    for url in _urls(world):
        _assert_no_secret(client.get(url), url, "old link holder (cookie)")
        _assert_no_secret(client.get(f"{url}{'&' if '?' in url else '?'}access={old_token}"), url, "old link holder")


def test_current_link_of_b_does_show_b(app, world):
    """The control: the same checks would notice B's things if they were there."""
    client = _as(app.test_client(), access_url(world["b"]))
    body = client.get("/t/beta/").get_data(as_text=True)
    assert "B-SECRET-INCIDENT" in body and "B-SECRET-COMPONENT" in body


def test_a_stranger_cannot_subscribe_to_a_private_tenant(app, db, client, world):
    from statuspage.models import Subscriber

    stranger = client.post("/subscribe", json={"email": "spy@example.net", "tenant": "beta"})
    unknown = client.post("/subscribe", json={"email": "spy@example.net", "tenant": "gamma"})
    assert stranger.status_code == unknown.status_code == 400
    assert stranger.get_json()["error"]["message"].replace("beta", "X") == \
        unknown.get_json()["error"]["message"].replace("gamma", "X")  # B's existence is not revealed
    old_token = world["old_b"].split("access=")[1]
    a_token = world["a_link"].split("access=")[1]
    for token in (old_token, a_token):
        assert client.post("/subscribe", json={"email": "spy@example.net", "tenant": "beta",
                                               "access": token}).status_code == 400
    form = client.post("/subscribe", data={"email": "spy@example.net", "tenant": "beta"})
    assert form.status_code == 400 and "Beta Secret Corp" not in form.get_data(as_text=True)
    assert db.session.query(Subscriber).filter_by(address="spy@example.net").count() == 0


def test_a_visitor_of_the_private_page_can_subscribe_from_it(app, db, world):
    import re

    from statuspage.models import Subscriber

    client = _as(app.test_client(), access_url(world["b"]))
    page = client.get("/t/beta/").get_data(as_text=True)
    access = re.search(r'name="access" value="([^"]+)"', page).group(1)
    resp = client.post("/subscribe", data={"email": "member@example.com", "tenant": "beta", "access": access})
    assert resp.status_code == 200
    sub = db.session.query(Subscriber).filter_by(address="member@example.com").one()
    assert sub.tenant_id == world["b"].id
