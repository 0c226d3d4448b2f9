"""Who sees which incidents and components: the rules every public surface relies on."""
from __future__ import annotations

from datetime import timedelta

from statuspage.extensions import db
from statuspage.models import utcnow
from statuspage.services import visibility as vis
from statuspage.services.visibility import Viewer
from tests.factories import gen_component, gen_group, gen_incident, gen_tenant


def names(incidents):
    return sorted(i.name for i in incidents)


def test_draft_and_deleted_incidents_are_invisible_everywhere(app):
    gen_incident("Shown")
    gen_incident("Draft", draft=True)
    gone = gen_incident("Deleted")
    gone.soft_delete()
    db.session.commit()
    for viewer in (Viewer(), Viewer(is_admin=True)):
        assert names(vis.active_incidents(viewer)) == ["Shown"]


def test_tenant_scoped_incident_shows_only_on_listed_tenants_pages(app):
    acme, globex = gen_tenant("Acme"), gen_tenant("Globex", private=True)
    gen_incident("For Globex", visibility="tenants", tenants=[globex])
    gen_incident("Everyone")
    db.session.commit()
    assert names(vis.active_incidents(Viewer())) == ["Everyone"]
    assert names(vis.active_incidents(Viewer(acme.id))) == ["Everyone"]
    assert names(vis.active_incidents(Viewer(globex.id))) == ["Everyone", "For Globex"]


def test_drill_is_for_admins_only(app):
    acme, globex = gen_tenant("Acme"), gen_tenant("Globex")
    gen_incident("Rehearsal", visibility="drill")
    gen_incident("Globex rehearsal", visibility="drill", tenants=[globex])
    db.session.commit()
    assert vis.active_incidents(Viewer()) == []
    assert vis.active_incidents(Viewer(globex.id)) == []
    assert names(vis.active_incidents(Viewer(is_admin=True))) == ["Globex rehearsal", "Rehearsal"]
    # Even an admin looking at Acme's page does not see a drill scoped to Globex.
    assert names(vis.active_incidents(Viewer(acme.id, is_admin=True))) == ["Rehearsal"]


def test_public_incident_with_tenants_listed_shows_everywhere(app):
    acme = gen_tenant("Acme")
    gen_incident("Public but about Acme", visibility="public", tenants=[acme])
    db.session.commit()
    assert names(vis.active_incidents(Viewer())) == ["Public but about Acme"]


def test_tenant_component_shows_only_on_its_tenants_page(app):
    acme, globex = gen_tenant("Acme"), gen_tenant("Globex", private=True)
    gen_component("Shared")
    gateway = gen_component("Globex gateway", tenant=globex)
    db.session.commit()
    shown = lambda v: sorted(c.name for c in vis.visible_components(v))  # noqa: E731
    assert shown(Viewer()) == ["Shared"]
    assert shown(Viewer(acme.id)) == ["Shared"]
    assert shown(Viewer(globex.id)) == ["Globex gateway", "Shared"]
    assert vis.get_component(Viewer(acme.id), gateway.id) is None
    assert vis.get_component(Viewer(globex.id), gateway.id) is not None


def test_only_show_if_degraded_hides_healthy_components_from_display_not_from_api(app):
    gen_component("Quiet", only_show_if_degraded=True)
    gen_component("Noisy", status="partial_outage", only_show_if_degraded=True)
    db.session.commit()
    assert [c.name for c in vis.visible_components(Viewer())] == ["Noisy"]
    assert sorted(c.name for c in vis.visible_components(Viewer(), for_display=False)) == ["Noisy", "Quiet"]


def test_affected_components_hide_other_tenants_components(app):
    acme, globex = gen_tenant("Acme"), gen_tenant("Globex")
    shared, private = gen_component("Shared"), gen_component("Globex gateway", tenant=globex)
    incident = gen_incident("Both", components=[shared, private])
    db.session.commit()
    assert [a.component.name for a in vis.affected_components(Viewer(acme.id), incident)] == ["Shared"]
    assert sorted(a.component.name for a in vis.affected_components(Viewer(globex.id), incident)) == \
        ["Globex gateway", "Shared"]


def test_private_tenant_names_are_not_shown_to_others(app):
    acme, globex = gen_tenant("Acme"), gen_tenant("Globex", private=True)
    incident = gen_incident("Both", tenants=[acme, globex])
    db.session.commit()
    assert [t.name for t in vis.visible_tenants(Viewer(), incident)] == ["Acme"]
    assert [t.name for t in vis.visible_tenants(Viewer(globex.id), incident)] == ["Acme", "Globex"]


def test_maintenance_is_active_in_its_window_and_upcoming_before(app):
    now = utcnow()
    gen_incident("Later", kind="maintenance", status="scheduled", scheduled_for=now + timedelta(days=1),
                 scheduled_until=now + timedelta(days=1, hours=2))
    gen_incident("Now", kind="maintenance", status="in_progress", scheduled_for=now - timedelta(minutes=5),
                 scheduled_until=now + timedelta(hours=1))
    gen_incident("Done", kind="maintenance", status="completed", scheduled_for=now - timedelta(days=2),
                 scheduled_until=now - timedelta(days=2) + timedelta(hours=1))
    db.session.commit()
    assert names(vis.active_maintenances(Viewer(), now)) == ["Now"]
    assert names(vis.upcoming_maintenances(Viewer(), now)) == ["Later"]
    assert vis.active_incidents(Viewer()) == []  # maintenance is not an incident


def test_components_come_grouped_in_group_order(app):
    second, first = gen_group("Second", position=2), gen_group("First", position=1)
    gen_component("B", group=second)
    gen_component("A", group=first)
    gen_component("Loose")
    db.session.commit()
    groups = vis.grouped(vis.visible_components(Viewer()))
    assert [(g.name if g else None, [c.name for c in cs]) for g, cs in groups] == \
        [(None, ["Loose"]), ("First", ["A"]), ("Second", ["B"])]


def test_signed_in_admin_sees_drills_on_the_page_and_gets_a_private_copy(app, client):
    from tests.factories import gen_admin

    admin = gen_admin()
    gen_incident("Rehearsal of the withdrawal outage", visibility="drill")
    db.session.commit()
    # Each request in its own app context, as on a server (Flask-Login memoises the user per context).
    with app.app_context():
        public = client.get("/")
    assert "Rehearsal" not in public.get_data(as_text=True)
    with client.session_transaction() as session:
        session["_user_id"] = admin.get_id()
        session["_fresh"] = True
    with app.app_context():
        mine = client.get("/")
    assert "Rehearsal of the withdrawal outage" in mine.get_data(as_text=True)
    assert mine.headers["Cache-Control"].startswith("private")
    assert mine.headers["ETag"] != public.headers["ETag"]
    # The public copy in the cache is untouched by the admin's visit.
    with app.app_context():
        assert "Rehearsal" not in app.test_client().get("/").get_data(as_text=True)
