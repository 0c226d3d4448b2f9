"""The OpenAPI 3.1 description of /api/admin/v1, served at /api/admin/v1/openapi.json."""
from __future__ import annotations

from flask import jsonify

from ..channels import CHAT_CHANNELS, SUBSCRIBER_CHANNELS
from ..models import (COMPONENT_STATUSES, DELIVERY_STATUSES, IMPACTS, INCIDENT_STATUSES, INTEGRATION_KINDS,
                      MAINTENANCE_STATUSES, NOTE_KINDS, RESOLVE_MODES, RESPONSE_ROLES, SEVERITIES, VISIBILITIES)
from . import bp

ROLES = ("viewer", "responder", "admin")


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _body(schema: dict) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


ERRORS = {str(code): {"$ref": f"#/components/responses/{name}"} for code, name in (
    (400, "BadRequest"), (401, "Unauthorized"), (403, "Forbidden"), (404, "NotFound"), (415, "Unsupported"),
    (422, "Invalid"))}


def _op(summary: str, role: str, ok: dict, body: dict | None = None, params: list | None = None,
        status: str = "200") -> dict:
    op = {"summary": summary, "description": f"Needs a token with at least the `{role}` role.",
          "responses": {status: ok, **ERRORS}}
    if body is not None:
        op["requestBody"] = _body(body)
    if params:
        op["parameters"] = params
    return op


ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
LIMIT = {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 5000}}
INCLUDE_DELETED = {"name": "include_deleted", "in": "query", "schema": {"type": "boolean"}}
ids = {"type": "array", "items": {"type": "integer", "minimum": 1}, "maxItems": 1000}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key", "in": "header", "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    "description": "Send the same key again (a retry) within 24 h and get the first answer back (same status, "
                   "body and ids) with `Idempotent-Replayed: true`, and nothing is done again. The same key with "
                   "another body is a 422 `idempotency_key_reused`; while the first request is still running, "
                   "a copy waits briefly, then gets a 409 `idempotency_key_in_flight`."}
timestamp = {"type": ["string", "null"], "format": "date-time"}
component_map = {"type": "object", "description": "component id → its new status",
                 "additionalProperties": {"type": "string", "enum": list(COMPONENT_STATUSES)}}
translations = {"type": "object", "properties": {"zh_Hans": {"type": "string"}}, "additionalProperties": False}

SCHEMAS = {
    "Error": {"type": "object", "required": ["error"], "properties": {"error": {
        "type": "object", "required": ["code", "message"],
        "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "details": {"type": "object"}}}}},
    "Component": {"type": "object", "required": ["id", "name", "status"], "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "description": {"type": "string"},
        "status": {"type": "string", "enum": list(COMPONENT_STATUSES)}, "group": {"type": ["string", "null"]},
        "group_id": {"type": ["integer", "null"]}, "position": {"type": "integer"}, "show_uptime": {"type": "boolean"},
        "deleted_at": timestamp}},
    "ComponentInput": {"type": "object", "required": ["name"], "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 200}, "description": {"type": "string", "maxLength": 2000},
        "status": {"type": "string", "enum": list(COMPONENT_STATUSES)}, "group": {"type": "string", "maxLength": 200},
        "show_uptime": {"type": "boolean"}, "position": {"type": "integer"}}},
    "ComponentPatch": {"type": "object", "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 200}, "description": {"type": "string", "maxLength": 2000},
        "status": {"type": "string", "enum": list(COMPONENT_STATUSES)}, "group": {"type": "string", "maxLength": 200},
        "show_uptime": {"type": "boolean"}, "position": {"type": "integer"}}},
    "Tenant": {"type": "object", "required": ["id", "name", "slug", "private"], "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "slug": {"type": "string"}, "private": {"type": "boolean"},
        "access_url": {"type": ["string", "null"], "description": "Only for private tenants: the signed link to its page."},
        "deleted_at": timestamp}},
    "TenantInput": {"type": "object", "required": ["name", "slug"], "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "slug": {"type": "string", "pattern": "^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$"},
        "private": {"type": "boolean"}, "description": {"type": "string", "maxLength": 2000}}},
    "TenantPatch": {"type": "object", "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "slug": {"type": "string", "pattern": "^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$"},
        "private": {"type": "boolean"}, "description": {"type": "string", "maxLength": 2000}}},
    "IncidentUpdate": {"type": "object", "required": ["id", "status", "body"], "properties": {
        "id": {"type": "integer"}, "incident_id": {"type": "integer"}, "status": {"type": "string"},
        "body": {"type": "string"}, "body_translations": {"type": "object"},
        "affected_components": {"type": "array"}, "deliver_notifications": {"type": "boolean"},
        "created_at": timestamp, "display_at": timestamp}},
    "Incident": {"type": "object", "required": ["id", "name", "status", "impact", "visibility", "draft"], "properties": {
        "id": {"type": "integer"}, "kind": {"type": "string", "enum": ["incident", "maintenance"]},
        "name": {"type": "string"}, "name_translations": {"type": "object"},
        "status": {"type": "string", "enum": list(INCIDENT_STATUSES + MAINTENANCE_STATUSES)},
        "impact": {"type": "string", "enum": list(IMPACTS)}, "visibility": {"type": "string", "enum": list(VISIBILITIES)},
        "severity": {"type": "string", "enum": list(SEVERITIES)},
        "roles": {"type": "object", "description": "role → responder id"},
        "draft": {"type": "boolean"}, "component_ids": {"type": "array", "items": {"type": "integer"}},
        "components": {"type": "object"}, "tenant_slugs": {"type": "array", "items": {"type": "string"}},
        "started_at": timestamp, "resolved_at": timestamp, "scheduled_for": timestamp, "scheduled_until": timestamp,
        "deleted_at": timestamp, "updates": {"type": "array", "items": _ref("IncidentUpdate")}}},
    "IncidentInput": {"type": "object", "required": ["name"], "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 300},
        "status": {"type": "string", "enum": list(INCIDENT_STATUSES)}, "impact": {"type": "string", "enum": list(IMPACTS)},
        "severity": {"type": "string", "enum": list(SEVERITIES),
                     "description": "Default from the impact: critical sev1, major sev2, minor sev3, none sev4. "
                                    "Declaring (not a draft) pages the severity policy's levels."},
        "body": {"type": "string", "maxLength": 20000, "description": "Markdown"},
        "component_ids": ids, "components": component_map,
        "tenant_slugs": {"type": "array", "items": {"type": "string", "maxLength": 80}, "maxItems": 1000,
                         "description": "Empty: everyone."},
        "visibility": {"type": "string", "enum": list(VISIBILITIES)},
        "draft": {"type": "boolean", "description": "Invisible and silent until PATCHed to false."},
        "deliver_notifications": {"type": "boolean"}, "name_translations": translations,
        "body_translations": translations}},
    "IncidentPatch": {"type": "object", "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 300},
        "status": {"type": "string", "enum": list(INCIDENT_STATUSES + MAINTENANCE_STATUSES),
                   "description": "With `body`: also posts a timeline update."},
        "impact": {"type": "string", "enum": list(IMPACTS)}, "body": {"type": "string", "maxLength": 20000},
        "severity": {"type": "string", "enum": list(SEVERITIES),
                     "description": "Raise or lower; recorded with `severity_reason` and re-pages per the new policy."},
        "severity_reason": {"type": "string", "maxLength": 500},
        "component_ids": ids, "components": component_map,
        "tenant_slugs": {"type": "array", "items": {"type": "string", "maxLength": 80}, "maxItems": 1000},
        "visibility": {"type": "string", "enum": list(VISIBILITIES)}, "draft": {"type": "boolean"},
        "deliver_notifications": {"type": "boolean"}, "name_translations": translations}},
    "Responder": {"type": "object", "required": ["id", "name", "level"], "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "email": {"type": ["string", "null"]},
        "phone": {"type": ["string", "null"]}, "chat": {"type": ["object", "null"]}, "level": {"type": "integer"},
        "test": {"type": "boolean"}, "deleted_at": timestamp}},
    "ResponderInput": {"type": "object", "required": ["name"], "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 200}, "email": {"type": "string"},
        "phone": {"type": "string", "description": "E.164 after parsing"},
        "chat": {"type": "object", "properties": {"kind": {"type": "string", "enum": list(CHAT_CHANNELS)},
                                                  "url": {"type": "string"}}},
        "level": {"type": "integer", "minimum": 1, "maximum": 9, "description": "1 = first, 2 = escalation, …"},
        "test": {"type": "boolean", "description": "A drill pages test responders only."}}},
    "SeverityPolicy": {"type": "object", "description": "severity → its policy; a PUT replaces the severities given",
                       "additionalProperties": {"type": "object", "properties": {
                           "page_levels": {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 9}},
                           "check_minutes": {"type": ["integer", "null"], "minimum": 1, "maximum": 1440},
                           "escalate_after_missed": {"type": "integer", "minimum": 1, "maximum": 100}}}},
    "Note": {"type": "object", "properties": {
        "id": {"type": "integer"}, "incident_id": {"type": "integer"},
        "kind": {"type": "string", "enum": list(NOTE_KINDS)}, "body": {"type": "string"},
        "author_id": {"type": ["integer", "null"]}, "created_at": timestamp}},
    "NoteInput": {"type": "object", "properties": {
        "body": {"type": "string", "maxLength": 5000, "description": "Required for a note."},
        "kind": {"type": "string", "enum": ["note", "check"],
                 "description": "check: \"checked, no change\", starts the next status-check interval"}}},
    "Team": {"type": "object", "properties": {role: {"type": ["integer", "null"], "minimum": 1}
                                              for role in RESPONSE_ROLES}},
    "UpdateInput": {"type": "object", "required": ["body"], "properties": {
        "status": {"type": "string", "enum": list(INCIDENT_STATUSES + MAINTENANCE_STATUSES)},
        "body": {"type": "string", "minLength": 1, "maxLength": 20000}, "deliver_notifications": {"type": "boolean"},
        "components": component_map, "component_ids": ids, "body_translations": translations}},
    "Delivery": {"type": "object", "required": ["id", "channel", "status", "attempts"], "properties": {
        "id": {"type": "integer"}, "kind": {"type": "string"}, "update_id": {"type": ["integer", "null"]},
        "incident_id": {"type": ["integer", "null"]}, "subscriber_id": {"type": ["integer", "null"]},
        "channel": {"type": "string"}, "status": {"type": "string", "enum": list(DELIVERY_STATUSES)},
        "attempts": {"type": "integer"}, "last_error": {"type": ["string", "null"]}}},
    "Subscriber": {"type": "object", "required": ["id", "channel"], "properties": {
        "id": {"type": "integer"}, "channel": {"type": "string", "enum": list(SUBSCRIBER_CHANNELS)},
        "email": {"type": ["string", "null"]}, "phone": {"type": ["string", "null"]},
        "webhook_url": {"type": ["string", "null"]}, "tenant": {"type": ["string", "null"]},
        "chat": {"type": ["object", "null"], "description": "kind, the robot URL without its key, signed"},
        "component_ids": {"type": "array", "items": {"type": "integer"}}, "all_components": {"type": "boolean"},
        "locale": {"type": "string"}, "confirmed": {"type": "boolean"}, "opted_out": {"type": "boolean"},
        "test_audience": {"type": "boolean"}, "source": {"type": "string"}, "deleted_at": timestamp}},
    "SubscriberInput": {"type": "object",
                        "description": "Exactly one of email, phone (E.164 after parsing), webhook_url, chat.",
                        "properties": {
        "email": {"type": "string", "maxLength": 320}, "phone": {"type": "string", "maxLength": 40},
        "webhook_url": {"type": "string", "maxLength": 1000}, "tenant": {"type": "string", "maxLength": 80},
        "chat": {"type": "object", "required": ["kind", "url"], "description": "A team chat's robot (admins only)",
                 "properties": {"kind": {"type": "string", "enum": list(CHAT_CHANNELS)},
                                "url": {"type": "string", "maxLength": 1000},
                                "secret": {"type": "string", "maxLength": 200,
                                           "description": "Feishu / DingTalk signing secret"}}},
        "component_ids": ids, "locale": {"type": "string", "enum": ["en", "zh_Hans"]},
        "confirmed": {"type": "boolean", "description": "Admin import may pre-confirm."},
        "test_audience": {"type": "boolean", "description": "Part of the drill / send-a-test audience."}}},
    "ImportReport": {"type": "object", "properties": {
        "added": {"type": "integer"}, "updated": {"type": "integer"}, "rejected": {"type": "array"}}},
    "Upstream": {"type": "object", "required": ["id", "name", "url", "kind"], "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "url": {"type": "string"},
        "kind": {"type": "string", "enum": ["rss", "atom", "statuspage"]}, "interval_seconds": {"type": "integer"},
        "component_ids": {"type": "array", "items": {"type": "integer"}}, "state": {"type": "string"},
        "third_party_component_id": {"type": ["integer", "null"]}, "last_fetch_at": timestamp,
        "next_fetch_at": timestamp, "last_status": {"type": ["integer", "null"]},
        "last_error": {"type": ["string", "null"]}, "consecutive_failures": {"type": "integer"},
        "entries_seen": {"type": "integer"}, "deleted_at": timestamp}},
    "Integration": {"type": "object", "required": ["id", "kind", "name"], "properties": {
        "id": {"type": "integer"}, "kind": {"type": "string", "enum": list(INTEGRATION_KINDS)},
        "name": {"type": "string"}, "component_map": {"type": "object"}, "component_label": {"type": "string"},
        "severity_label": {"type": "string"}, "severity_map": {"type": "object"},
        "resolve": {"type": "string", "enum": list(RESOLVE_MODES)}, "url_hint": {"type": "string"},
        "url": {"type": "string", "description": "Only in the answer to POST: the secret URL, shown once."},
        "last_received_at": timestamp, "received_count": {"type": "integer"}, "created_at": timestamp,
        "deleted_at": timestamp}},
    "IntegrationInput": {"type": "object", "required": ["kind", "name"], "properties": {
        "kind": {"type": "string", "enum": list(INTEGRATION_KINDS)},
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "component_map": {"type": "object", "description": "alert label value → component id",
                          "additionalProperties": {"type": "integer", "minimum": 1}},
        "component_label": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]{0,99}$"},
        "severity_label": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]{0,99}$"},
        "severity_map": {"type": "object", "description": "severity → component status",
                         "additionalProperties": {"type": "string", "enum": list(COMPONENT_STATUSES)}},
        "resolve": {"type": "string", "enum": list(RESOLVE_MODES),
                    "description": "restore: a resolved alert puts its component back; propose: only notes it"}}},
    "UpstreamInput": {"type": "object", "required": ["name", "url"], "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 200}, "url": {"type": "string", "maxLength": 1000},
        "kind": {"type": "string", "enum": ["rss", "atom", "statuspage"]},
        "interval_seconds": {"type": "integer", "minimum": 30, "maximum": 86400}, "component_ids": ids}},
}


def _error(description: str) -> dict:
    return _json(_ref("Error"), description)


def _crud(name: str, schema: str, role_write: str, patch: bool = True, get_one: bool = True,
          restore: bool = True) -> dict:
    plural = f"/{name}"
    one = f"/{name}/{{id}}"
    paths = {plural: {
        "get": _op(f"List {name}", "viewer", _json({"type": "array", "items": _ref(schema)}),
                   params=[LIMIT, INCLUDE_DELETED]),
        "post": _op(f"Create one of {name}", role_write, _json(_ref(schema), "Created"), body=_ref(f"{schema}Input"),
                    status="201")}}
    item = {"parameters": [ID],
            "delete": _op("Delete (soft: restorable, recorded in the audit log)", role_write, _json(_ref(schema)))}
    if get_one:
        item["get"] = _op("Get one", "viewer", _json(_ref(schema)))
    if patch:
        item["patch"] = _op("Change some fields", role_write, _json(_ref(schema)), body=_ref(f"{schema}Patch"))
    paths[one] = item
    if restore:
        paths[f"{one}/restore"] = {"parameters": [ID], "post": _op("Undo a delete", role_write, _json(_ref(schema)))}
    return paths


def _subscriber_paths() -> dict:
    """Served by api/subscribers.py: a paged list, CSV import and export."""
    paths = _crud("subscribers", "Subscriber", "responder", patch=False)
    paths["/subscribers"]["get"] = _op(
        "List subscribers (paged)", "responder",
        _json({"type": "object", "properties": {"subscribers": {"type": "array", "items": _ref("Subscriber")},
                                                "page": {"type": "integer"}, "per_page": {"type": "integer"},
                                                "total": {"type": "integer"}}}),
        params=[{"name": "channel", "in": "query", "schema": {"type": "string", "enum": list(SUBSCRIBER_CHANNELS)}},
                {"name": "tenant", "in": "query", "schema": {"type": "string"}},
                {"name": "q", "in": "query", "schema": {"type": "string"}},
                {"name": "test_audience", "in": "query", "schema": {"type": "boolean"}},
                {"name": "deleted", "in": "query", "schema": {"type": "boolean"}},
                {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}}])
    paths["/subscribers/import"] = {"post": {
        "summary": "Import subscribers from CSV (email,phone,tenant,components,locale)",
        "description": "All-or-nothing per file unless `partial=1`; a rejected file answers 422 with the report. "
                       "Needs the `admin` role.",
        "parameters": [{"name": "partial", "in": "query", "schema": {"type": "string", "enum": ["0", "1"]}}],
        "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}},
        "responses": {"200": _json(_ref("ImportReport")), "422": _json(_ref("ImportReport"), "Rejected rows"),
                      **{k: v for k, v in ERRORS.items() if k != "422"}}}}
    paths["/subscribers/export"] = {"get": {
        "summary": "All subscribers as CSV", "description": "Needs the `admin` role.",
        "responses": {"200": {"description": "CSV", "content": {"text/csv": {"schema": {"type": "string"}}}},
                      **ERRORS}}}
    return paths


def build_spec() -> dict:
    paths = {}
    paths.update(_crud("components", "Component", "admin"))
    paths["/components/{id}"]["patch"]["description"] = "A responder may change `status`; other fields need admin."
    paths.update(_crud("tenants", "Tenant", "admin"))
    paths["/tenants/{id}/rotate-access"] = {"parameters": [ID], "post": _op(
        "New access link for a private tenant (the old one stops working)", "admin", _json(_ref("Tenant")))}
    paths.update(_crud("incidents", "Incident", "responder"))
    paths["/incidents"]["get"]["parameters"] += [
        {"name": "kind", "in": "query", "schema": {"type": "string", "enum": ["incident", "maintenance"]}},
        {"name": "state", "in": "query", "schema": {"type": "string", "enum": ["open", "closed"]}}]
    paths["/incidents/{id}/updates"] = {"parameters": [ID], "post": _op(
        "Post a timeline update (and notify, unless turned off or a draft)", "responder",
        _json(_ref("IncidentUpdate"), "Created"), body=_ref("UpdateInput"), status="201")}
    paths["/incidents/{id}/notes"] = {"parameters": [ID], "get": _op(
        "The internal notes (never public, never sent)", "viewer", _json({"type": "array", "items": _ref("Note")})),
        "post": _op("Add an internal note or a status check", "responder", _json(_ref("Note"), "Created"),
                    body=_ref("NoteInput"), status="201")}
    paths["/incidents/{id}/team"] = {"parameters": [ID], "put": _op(
        "Assign the lead and roles (responder ids; null clears)", "responder",
        _json({"type": "object", "properties": {"roles": {"type": "object"}}}), body=_ref("Team"))}
    paths.update(_crud("responders", "Responder", "admin", patch=False, get_one=False, restore=False))
    paths["/severity-policy"] = {
        "get": _op("The severity policy", "viewer", _json(_ref("SeverityPolicy"))),
        "put": _op("Replace the policy of the severities given", "admin", _json(_ref("SeverityPolicy")),
                   body=_ref("SeverityPolicy"))}
    paths["/deliveries"] = {"get": _op("The delivery log", "viewer", _json({"type": "array", "items": _ref("Delivery")}),
                                       params=[LIMIT, {"name": "incident_id", "in": "query",
                                                       "schema": {"type": "integer", "minimum": 1}},
                                               {"name": "status", "in": "query",
                                                "schema": {"type": "string", "enum": list(DELIVERY_STATUSES)}}])}
    paths.update(_subscriber_paths())
    paths.update(_crud("upstreams", "Upstream", "admin", patch=False))
    paths["/upstreams"]["get"]["parameters"] = [{"name": "deleted", "in": "query", "schema": {"type": "boolean"}}]
    paths.update(_crud("integrations", "Integration", "admin", patch=False, restore=False))
    paths["/integrations"]["get"]["parameters"] = [{"name": "deleted", "in": "query", "schema": {"type": "boolean"}}]
    for item in paths.values():
        if "post" in item:
            item["post"].setdefault("parameters", []).append(IDEMPOTENCY_KEY)
            item["post"]["responses"]["409"] = {"$ref": "#/components/responses/InFlight"}
    return {
        "openapi": "3.1.0",
        "info": {"title": "statuspage admin API", "version": "1.0.0",
                 "description": "Manage components, tenants, incidents, subscribers, upstream feeds and integrations. "
                                "Every error is `{\"error\": {\"code\", \"message\"}}` with a 4xx status. "
                                "Token roles: " + ", ".join(ROLES) + "; a token never exceeds its user."},
        "servers": [{"url": "/api/admin/v1"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "`flask --app wsgi create-api-token` or Admin → API tokens"}},
            "responses": {"BadRequest": _error("Malformed request"), "Unauthorized": _error("Missing or bad token"),
                          "Forbidden": _error("The token's role is too low"), "NotFound": _error("No such object"),
                          "Unsupported": _error("The body is not JSON"), "Invalid": _error("A field is not valid"),
                          "InFlight": _error("A request with this Idempotency-Key is still running")},
        },
    }


@bp.get("/openapi.json")
def openapi_json():
    return jsonify(build_spec())
