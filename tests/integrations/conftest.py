from __future__ import annotations

import pytest

from tests.factories import gen_component


@pytest.fixture
def components(db):
    crm, billing, ledger = gen_component("CRM"), gen_component("Billing"), gen_component("Ledger")
    db.session.commit()
    return {"crm": crm, "billing": billing, "ledger": ledger}


@pytest.fixture
def make_integration(client, bearer, components):
    """make_integration(kind, **fields) -> (json answer, path of the secret URL)."""
    admin = bearer("admin")

    def _make(kind="alertmanager", **fields):
        body = {"kind": kind, "name": fields.pop("name", f"Prod {kind}"),
                "component_map": fields.pop("component_map", {"crm": components["crm"].id,
                                                              "billing": components["billing"].id}), **fields}
        resp = client.post("/api/admin/v1/integrations", json=body, headers=admin)
        assert resp.status_code == 201, resp.get_json()
        answer = resp.get_json()
        return answer, answer["url"].replace("http://status.test", "")

    return _make
