"""The `flask --app wsgi ...` commands of CONTRACT.md, as an operator runs them."""
from statuspage.models import AdminUser
from statuspage.services.accounts import check_password


def test_create_admin_creates_then_resets_the_password(runner, db):
    first = runner.invoke(args=["create-admin", "--email", "Ops@Example.com", "--password", "correct horse"])
    assert first.exit_code == 0, first.output
    user = db.session.query(AdminUser).filter_by(email="ops@example.com").one()
    assert check_password(user, "correct horse")
    again = runner.invoke(args=["create-admin", "--email", "ops@example.com", "--password", "battery staple"])
    assert again.exit_code == 0 and "Updated" in again.output
    db.session.expire_all()
    user = db.session.query(AdminUser).filter_by(email="ops@example.com").one()
    assert check_password(user, "battery staple") and not check_password(user, "correct horse")
    assert "battery staple" not in again.output


def test_create_admin_refuses_a_short_password(runner, db):
    result = runner.invoke(args=["create-admin", "--email", "a@example.com", "--password", "short"])
    assert result.exit_code != 0 and "at least 10" in result.output
    assert db.session.query(AdminUser).count() == 0


def test_api_token_is_printed_alone_on_the_last_line_and_works(runner, client, db):
    runner.invoke(args=["create-admin", "--email", "ops@example.com", "--password", "correct horse",
                        "--role", "responder"])
    result = runner.invoke(args=["create-api-token", "--email", "ops@example.com", "--name", "ci"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert " " not in token and len(token) > 30
    ok = client.get("/api/admin/v1/components", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200
    bad = client.get("/api/admin/v1/components", headers={"Authorization": f"Bearer {token}x"})
    assert bad.status_code == 401 and bad.get_json()["error"]["code"] == "unauthorized"


def test_a_token_never_gets_more_rights_than_its_user(runner, db):
    runner.invoke(args=["create-admin", "--email", "viewer@example.com", "--password", "correct horse",
                        "--role", "viewer"])
    result = runner.invoke(args=["create-api-token", "--email", "viewer@example.com", "--role", "admin"])
    assert result.exit_code != 0 and "more rights" in result.output


def test_unknown_admin_gets_a_clear_message(runner, db):
    result = runner.invoke(args=["create-api-token", "--email", "nobody@example.com"])
    assert result.exit_code != 0 and "create-admin" in result.output


def test_drain_and_poll_on_an_empty_instance_exit_cleanly(runner, db):
    drained = runner.invoke(args=["deliver", "--drain"])
    assert drained.exit_code == 0, drained.output
    polled = runner.invoke(args=["poll-upstreams", "--once"])
    assert polled.exit_code == 0, polled.output


def test_create_admin_follows_the_admin_pages_password_rule_and_is_audited(runner, db):
    from statuspage.models import AuditEntry
    from statuspage.services.accounts import MIN_PASSWORD

    short = runner.invoke(args=["create-admin", "--email", "a@example.com", "--password", "x" * (MIN_PASSWORD - 1)])
    assert short.exit_code != 0
    made = runner.invoke(args=["create-admin", "--email", "a@example.com", "--password", "x" * MIN_PASSWORD])
    assert made.exit_code == 0, made.output
    entry = db.session.query(AuditEntry).filter_by(object_type="admin_user").one()
    assert (entry.actor, entry.via, entry.action) == ("cli", "cli", "create")
