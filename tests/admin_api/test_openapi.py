"""The OpenAPI document is valid, covers every route, and no generated input gets a 5xx."""
from __future__ import annotations

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate

from statuspage.admin_api.openapi import build_spec
from tests.factories import gen_component, gen_incident, gen_tenant

PREFIX = "/api/admin/v1"
# schemathesis 3.x reads OpenAPI 3.1 (type arrays, JSON Schema 2020-12) behind this switch.
schemathesis.experimental.OPEN_API_3_1.enable()


def _bridge_hypothesis_jsonschema() -> None:
    """hypothesis-jsonschema 0.23 drives `many` with `.more()`; newer Hypothesis only offers
    `with many(...) as m: for _ in m`. Give it the old interface on top of the new one."""
    from hypothesis.internal.conjecture import utils as cu
    from hypothesis_jsonschema import _from_schema

    if hasattr(cu.many, "more"):
        return

    class LegacyMany:
        def __init__(self, data, **kwargs):
            self._many = cu.many(data, **kwargs)
            self._many.__enter__()
            self._elements = iter(self._many)

        def more(self) -> bool:
            try:
                next(self._elements)
                return True
            except StopIteration:
                self._many.__exit__(None, None, None)
                return False

        def reject(self, why=None) -> None:
            self._many.reject(why)

    class Utils:
        def __getattr__(self, name):
            return LegacyMany if name == "many" else getattr(cu, name)

    _from_schema.cu = Utils()


_bridge_hypothesis_jsonschema()


@schemathesis.serializer("text/csv")
class CSVSerializer:
    """The subscriber import takes a CSV body; generated strings go as they are."""

    def as_requests(self, context, value):
        return {"data": str(value).encode("utf-8")}

    def as_werkzeug(self, context, value):
        return {"data": str(value).encode("utf-8")}


def test_served_document_is_valid_openapi_31(client):
    resp = client.get(f"{PREFIX}/openapi.json")
    assert resp.status_code == 200
    spec = resp.get_json()
    assert spec["openapi"].startswith("3.1")
    validate(spec)


def test_every_admin_api_route_is_documented(app):
    paths = build_spec()["paths"]
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX) or rule.rule.endswith("/openapi.json"):
            continue
        path = re.sub(r"<(?:[^:>]+:)?[^>]+>", "{id}", rule.rule[len(PREFIX):])
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if method.lower() not in paths.get(path, {}):
                missing.append(f"{method} {path}")
    assert missing == []


@pytest.fixture
def api_schema(app, db):
    # Some objects to find, so generated ids sometimes hit real rows.
    comp = gen_component("Withdrawals API")
    tenant = gen_tenant("Acme", private=True)
    gen_incident("Withdrawals failing", components=[comp], tenants=[tenant])
    db.session.commit()
    return schemathesis.from_dict(build_spec(), app=app, base_url=PREFIX)


schema = schemathesis.from_pytest_fixture("api_schema")


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=15, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_no_generated_request_gets_a_server_error(case, db):
    from tests.factories import gen_admin, gen_api_token
    from statuspage.models import AdminUser

    user = db.session.query(AdminUser).filter_by(email="fuzz@example.com").one_or_none() or gen_admin("fuzz@example.com")
    _token, raw = gen_api_token(user)
    db.session.commit()
    response = case.call_wsgi(headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code < 500, (case.method, case.formatted_path, case.body, response.get_data(as_text=True)[:500])
    # (a rejected subscriber CSV answers 422 with its row report instead)
    if response.status_code >= 400 and response.content_type.startswith("application/json") \
            and not case.formatted_path.endswith("/subscribers/import"):
        assert set(response.json["error"]) >= {"code", "message"}
