"""`flask --app wsgi ...` commands."""
from __future__ import annotations

import click
from flask import Flask

from .extensions import db


def register_cli(app: Flask) -> None:
    @app.cli.command("create-admin")
    @click.option("--email", required=True, help="The admin's email address (their login).")
    @click.option("--password", default=None, help="Prompted for when not given.")
    @click.option("--role", default="admin", type=click.Choice(["viewer", "responder", "admin"]), show_default=True)
    @click.option("--name", default="", help="Display name.")
    def create_admin(email: str, password: str | None, role: str, name: str) -> None:
        """Create an admin, or reset an existing admin's password."""
        from .models import AdminUser
        from .services.accounts import set_password

        email = email.strip().lower()
        if not password:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        if len(password) < 8:
            raise click.ClickException("The password must be at least 8 characters long.")
        user = db.session.query(AdminUser).filter_by(email=email).one_or_none()
        created = user is None
        if created:
            user = AdminUser(email=email, name=name or email.split("@")[0], role=role, password_hash="!")
            db.session.add(user)
        else:
            user.deleted_at = None
            if name:
                user.name = name
        set_password(user, password)
        db.session.commit()
        click.echo(f"{'Created' if created else 'Updated'} admin {email} ({user.role}). Sign in at /admin/.")

    @app.cli.command("create-api-token")
    @click.option("--email", required=True, help="The admin the token acts for.")
    @click.option("--name", default="", help="A label to recognise the token by.")
    @click.option("--role", default=None, type=click.Choice(["viewer", "responder", "admin"]),
                  help="Defaults to the user's role; never more than it.")
    def create_api_token(email: str, name: str, role: str | None) -> None:
        """Print a new API token once, alone on the last line."""
        from .models import ROLES, AdminUser
        from .services.accounts import issue_api_token

        user = db.session.query(AdminUser).filter_by(email=email.strip().lower(), deleted_at=None).one_or_none()
        if user is None:
            raise click.ClickException(f"No admin with email {email}. Create one with create-admin first.")
        if role and ROLES.index(role) > ROLES.index(user.role):
            raise click.ClickException(f"A token cannot have more rights than its user ({user.role}).")
        token, raw = issue_api_token(user, name=name, role=role)
        db.session.commit()
        click.echo(f"Token {token.prefix}… for {user.email} with role {token.role}. It is shown only once:")
        click.echo(raw)

    @app.cli.command("demo")
    def demo() -> None:
        """Load a believable demo: components, tenants, incidents, a maintenance, subscribers."""
        from .demo import load_demo

        summary = load_demo()
        db.session.commit()
        click.echo(summary)

    @app.cli.command("deliver")
    @click.option("--drain", is_flag=True, help="Run until the outbox holds nothing due, then exit.")
    def deliver(drain: bool) -> None:
        """Run the delivery worker in the foreground."""
        from .delivery.runner import run_forever, drain_outbox

        if drain:
            counts = drain_outbox()
            click.echo(f"Outbox drained: {counts}")
        else:
            run_forever()

    @app.cli.command("poll-upstreams")
    @click.option("--once", is_flag=True, help="Fetch every feed once and exit.")
    def poll_upstreams(once: bool) -> None:
        """Fetch upstream status feeds and apply what changed."""
        from .upstream import poll_all, poll_forever

        if once:
            for line in poll_all(force=True):
                click.echo(line)
        else:
            poll_forever()

    @app.cli.command("import-subscribers")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    @click.option("--partial", is_flag=True, help="Keep the good rows even when some are rejected.")
    def import_subscribers_cmd(path: str, partial: bool) -> None:
        """Import subscribers from a CSV file (email,phone,tenant,components,locale)."""
        from .services.subscriber_import import import_csv_file

        import_csv_file(path, partial=partial, echo=click.echo)

    @app.cli.command("export-subscribers")
    @click.argument("path", type=click.Path(dir_okay=False, writable=True))
    def export_subscribers_cmd(path: str) -> None:
        """Write every subscriber to a CSV file that import-subscribers reads back."""
        from .services.subscriber_import import export_csv

        with open(path, "w", encoding="utf-8", newline="") as out:
            count = export_csv(out)
        click.echo(f"Exported {count} subscribers to {path}")
