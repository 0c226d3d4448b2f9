"""A private tenant's access link opens that tenant only: never one created after it was purged."""
from __future__ import annotations

from statuspage.services.audit import Actor
from statuspage.services.catalog import rotate_tenant_access
from statuspage.services.tenants import access_token, verify_access
from statuspage.services.trash import purge
from tests.factories import gen_tenant


def _purge(db, tenant):
    tenant.soft_delete()
    db.session.commit()
    purge("tenant", tenant, tenant.slug, actor=Actor.system())


def test_a_purged_tenants_link_does_not_open_the_next_tenant(client, db):
    old = gen_tenant("Oldcorp", slug="oldcorp", private=True)
    db.session.commit()
    old_id, old_link = old.id, access_token(old)
    _purge(db, old)
    new = gen_tenant("Newbank", slug="newbank", private=True)
    db.session.commit()
    assert new.id != old_id
    assert access_token(new) != old_link
    assert not verify_access(new, old_link)
    assert client.get(f"/t/newbank/?access={old_link}").status_code == 404


def test_two_tenants_never_share_a_link_even_with_the_same_id_and_version(db):
    first = gen_tenant("A", slug="a", private=True)
    db.session.commit()
    link = access_token(first)
    first.access_secret = "another-secret"  # what a tenant made on a reused id would have
    assert not verify_access(first, link)


def test_rotation_draws_a_new_secret_and_ends_old_links(db):
    tenant = gen_tenant("Globex", slug="globex", private=True)
    db.session.commit()
    secret, link = tenant.access_secret, access_token(tenant)
    rotate_tenant_access(tenant, actor=Actor.system())
    assert tenant.access_secret != secret and not verify_access(tenant, link)
    assert verify_access(tenant, access_token(tenant))


def test_every_tenant_gets_its_own_random_secret(db):
    a, b = gen_tenant("A", slug="a"), gen_tenant("B", slug="b")
    db.session.commit()
    assert a.access_secret and b.access_secret and a.access_secret != b.access_secret
