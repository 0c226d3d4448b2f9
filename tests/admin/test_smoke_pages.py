"""Every admin page renders for an admin, with the data it is about."""
from __future__ import annotations

import pytest

from tests.factories import gen_component, gen_group, gen_incident, gen_tenant

PAGES = ["/admin/", "/admin/incidents", "/admin/incidents?state=all", "/admin/incidents/new", "/admin/maintenance",
         "/admin/maintenance/new", "/admin/playbooks", "/admin/playbooks/new", "/admin/components", "/admin/tenants",
         "/admin/deliveries", "/admin/trash", "/admin/audit", "/admin/users", "/admin/tokens", "/admin/settings",
         "/admin/export", "/admin/account", "/admin/account/two-factor"]


@pytest.mark.parametrize("path", PAGES)
def test_admin_page_renders(client, db, login, path):
    group = gen_group("Core")
    comp = gen_component("Withdrawals API", group=group)
    tenant = gen_tenant("Acme", private=True)
    gen_incident("Withdrawals failing", components=[comp], tenants=[tenant])
    db.session.commit()
    login("admin")
    resp = client.get(path)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:2000]
    assert "<h1>" in resp.get_data(as_text=True)


def test_incident_detail_shows_timeline(client, db, login):
    comp = gen_component("Withdrawals API")
    incident = gen_incident("Withdrawals failing", body="We are **looking** into it.", components=[comp])
    db.session.commit()
    login("viewer")
    html = client.get(f"/admin/incidents/{incident.id}").get_data(as_text=True)
    assert "Withdrawals failing" in html
    assert "<strong>looking</strong>" in html
    # A viewer sees no posting form.
    assert "Post an update" not in html
