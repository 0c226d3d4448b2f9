"""Pages, components and component groups over /v1, shaped as Atlassian's v1 reference and the Terraform
provider (yannh/terraform-provider-statuspage) send and read them."""
from __future__ import annotations

import pytest

from statuspage.models import AuditEntry, Component, ComponentGroup
from statuspage.services.trash import restore
from statuspage.services.audit import Actor
from tests.factories import gen_component, gen_group

# Fields of Atlassian's v1 schemas (the OpenAPI behind the `atlassian-statuspage` client): Page, Component,
# GroupComponent. Every answer carries at least these.
PAGE_FIELDS = {"id", "created_at", "updated_at", "name", "page_description", "headline", "branding", "subdomain",
               "domain", "url", "support_url", "hidden_from_search", "allow_page_subscribers",
               "allow_incident_subscribers", "allow_email_subscribers", "allow_sms_subscribers",
               "allow_rss_atom_feeds", "allow_webhook_subscribers", "notifications_from_email",
               "notifications_email_footer", "activity_score", "twitter_username", "viewers_must_be_team_members",
               "ip_restrictions", "city", "state", "country", "time_zone"}
COMPONENT_FIELDS = {"id", "page_id", "group_id", "created_at", "updated_at", "group", "name", "description",
                    "position", "status", "showcase", "only_show_if_degraded", "automation_email", "start_date"}
GROUP_FIELDS = {"id", "page_id", "name", "description", "components", "position", "created_at", "updated_at"}


def test_the_site_is_one_page_whose_id_is_stable_and_shown_in_settings(client, oauth, login):
    headers = oauth("viewer")
    pages = client.get("/v1/pages", headers=headers).get_json()
    assert len(pages) == 1 and PAGE_FIELDS <= set(pages[0])
    page_id = pages[0]["id"]
    assert isinstance(page_id, str) and len(page_id) == 12
    assert client.get(f"/v1/pages/{page_id}.json", headers=headers).get_json()["id"] == page_id
    assert client.get("/v1/pages.json", headers=headers).get_json()[0]["id"] == page_id
    login("admin")
    assert page_id in client.get("/admin/settings").get_data(as_text=True)


def test_another_page_id_is_404_and_the_v2_name_main_is_the_same_page(client, oauth, pid):
    headers = oauth("viewer")
    missing = client.get("/v1/pages/nosuchpage1/components.json", headers=headers)
    assert missing.status_code == 404
    assert missing.get_json()["error"] and missing.get_json()["message"]
    assert client.get("/v1/pages/main/components.json", headers=headers).status_code == 200


def test_a_missing_or_unknown_api_key_is_401_with_statuspage_s_error_body(client, pid):
    for headers in ({}, {"Authorization": "OAuth not-a-token"}):
        resp = client.get(f"/v1/pages/{pid}/components.json", headers=headers)
        assert resp.status_code == 401
        assert set(resp.get_json()) == {"error", "message"}


def test_the_admin_api_token_works_as_oauth_key_and_as_api_key_parameter(client, db, bearer, pid):
    raw = bearer("viewer")["Authorization"].split(" ", 1)[1]
    assert client.get(f"/v1/pages/{pid}/components", headers={"Authorization": f"OAuth {raw}"}).status_code == 200
    assert client.get(f"/v1/pages/{pid}/components?api_key={raw}").status_code == 200


def test_token_roles_hold_viewer_reads_responder_sets_status_admin_creates(client, db, oauth, pid):
    comp = gen_component("API")
    db.session.commit()
    url = f"/v1/pages/{pid}/components"
    assert client.post(url, json={"component": {"name": "Web"}}, headers=oauth("viewer")).status_code == 403
    assert client.post(url, json={"component": {"name": "Web"}}, headers=oauth("responder")).status_code == 403
    patch = client.patch(f"{url}/{comp.id}", json={"component": {"status": "major_outage"}}, headers=oauth("responder"))
    assert patch.status_code == 200 and patch.get_json()["status"] == "major_outage"
    rename = client.patch(f"{url}/{comp.id}", json={"component": {"name": "X"}}, headers=oauth("responder"))
    assert rename.status_code == 403
    assert client.post(url, json={"component": {"name": "Web"}}, headers=oauth("admin")).status_code == 201


@pytest.mark.parametrize("suffix", ["", ".json"])
def test_every_path_answers_with_and_without_the_json_suffix(client, db, oauth, pid, suffix):
    group = gen_group("Core")
    comp = gen_component("API", group=group)
    db.session.commit()
    headers = oauth("responder")
    base = f"/v1/pages/{pid}"
    for path in ("/pages", f"/pages/{pid}", f"/pages/{pid}/components", f"/pages/{pid}/components/{comp.id}",
                 f"/pages/{pid}/component-groups", f"/pages/{pid}/component-groups/group-{group.id}",
                 f"/pages/{pid}/incidents", f"/pages/{pid}/incidents/unresolved", f"/pages/{pid}/incidents/scheduled",
                 f"/pages/{pid}/incidents/upcoming", f"/pages/{pid}/incidents/active_maintenance",
                 f"/pages/{pid}/incident_templates", f"/pages/{pid}/subscribers", f"/pages/{pid}/page_access_groups"):
        resp = client.get(f"/v1{path}{suffix}", headers=headers)
        assert resp.status_code == 200, (path, resp.get_data(as_text=True))
        assert resp.content_type == "application/json"
    made = client.post(f"{base}/components{suffix}", json={"component": {"name": "Web"}}, headers=oauth("admin"))
    assert made.status_code == 201


def test_component_created_json_nested_as_terraform_sends_it(client, db, oauth, pid):
    group = gen_group("Core")
    db.session.commit()
    sent = {"component": {"name": "Payments API", "description": "Card payments", "status": "degraded_performance",
                          "showcase": True, "only_show_if_degraded": False, "group_id": f"group-{group.id}"}}
    resp = client.post(f"/v1/pages/{pid}/components", json=sent, headers=oauth("admin"))
    assert resp.status_code == 201
    body = resp.get_json()
    assert COMPONENT_FIELDS <= set(body)
    assert isinstance(body["id"], str) and body["page_id"] == pid and body["group"] is False
    assert body["group_id"] == f"group-{group.id}" and body["status"] == "degraded_performance"
    comp = db.session.get(Component, int(body["id"]))
    assert comp.name == "Payments API" and comp.group_id == group.id
    entry = db.session.query(AuditEntry).filter_by(object_type="component", action="create").one()
    assert entry.via == "api" and entry.actor == "v1-admin@example.com"


def test_component_created_form_encoded_as_the_curl_examples_send_it(client, db, oauth, pid):
    resp = client.post(f"/v1/pages/{pid}/components.json", headers=oauth("admin"),
                       data={"component[name]": "Login", "component[status]": "partial_outage",
                             "component[showcase]": "false"})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    body = resp.get_json()
    assert (body["name"], body["status"], body["showcase"]) == ("Login", "partial_outage", False)


def test_component_and_group_ids_are_the_public_v2_api_s(client, db, oauth, pid):
    group = gen_group("Core")
    gen_component("API", group=group)
    gen_component("Web")
    db.session.commit()
    v1 = client.get(f"/v1/pages/{pid}/components.json", headers=oauth("viewer")).get_json()
    v2 = client.get("/api/v2/components.json").get_json()["components"]
    def ids(items):
        return sorted((c["id"], c["name"], c["group"], c["group_id"]) for c in items)

    assert ids(v1) == ids(v2)


def test_a_deleted_component_is_gone_from_v1_and_restorable(client, db, oauth, pid):
    comp = gen_component("API")
    db.session.commit()
    url = f"/v1/pages/{pid}/components/{comp.id}"
    resp = client.delete(url, headers=oauth("admin"))
    assert resp.status_code == 204
    assert client.get(url, headers=oauth("viewer")).status_code == 404
    db.session.expire_all()
    assert db.session.get(Component, comp.id).deleted_at is not None
    restore("component", db.session.get(Component, comp.id), actor=Actor.cli())
    assert client.get(url, headers=oauth("viewer")).status_code == 200


def test_component_group_created_with_members_and_updated_with_a_bare_body(client, db, oauth, pid):
    api, web = gen_component("API"), gen_component("Web")
    db.session.commit()
    headers = oauth("admin")
    made = client.post(f"/v1/pages/{pid}/component-groups",
                       json={"description": "What we run", "component_group": {"name": "Core",
                                                                               "components": [str(api.id)]}},
                       headers=headers)
    assert made.status_code == 201, made.get_data(as_text=True)
    group = made.get_json()
    assert GROUP_FIELDS <= set(group) and group["id"].startswith("group-")
    assert (group["components"], group["description"]) == ([str(api.id)], "What we run")
    # yannh/statuspage-go-sdk sends the group update unwrapped.
    updated = client.patch(f"/v1/pages/{pid}/component-groups/{group['id']}",
                           json={"name": "Core services", "components": [str(web.id)]}, headers=headers)
    assert updated.status_code == 200
    assert (updated.get_json()["name"], updated.get_json()["components"]) == ("Core services", [str(web.id)])
    db.session.expire_all()
    assert db.session.get(Component, api.id).group_id is None
    gone = client.delete(f"/v1/pages/{pid}/component-groups/{group['id']}", headers=headers)
    assert gone.status_code == 200 and gone.get_json()["id"] == group["id"]
    assert db.session.get(ComponentGroup, int(group["id"].split("-")[1])).deleted_at is not None


def test_page_patch_may_restate_the_configured_name_but_not_change_it(client, app, oauth, pid):
    url = f"/v1/pages/{pid}"
    name = app.config.get("SITE_NAME") or "Status"
    same = client.patch(url, json={"page": {"name": name, "css_greens": "#00aa00"}}, headers=oauth("admin"))
    assert same.status_code == 200 and same.get_json()["name"] == name
    other = client.patch(url, json={"page": {"name": "Another"}}, headers=oauth("admin"))
    assert other.status_code == 422 and "SITE_NAME" in other.get_json()["error"]


def test_a_v1_path_we_do_not_offer_is_a_json_404_after_authentication(client, oauth, pid):
    assert client.get(f"/v1/pages/{pid}/metrics_providers.json").status_code == 401
    resp = client.post(f"/v1/pages/{pid}/metrics/data.json", headers=oauth("viewer"), json={"data": {}})
    assert resp.status_code == 404 and "README" in resp.get_json()["error"]
    assert client.get(f"/v1/pages/{pid}/components.json", headers=oauth("viewer")).status_code == 200
