"""`flask --app wsgi ...` commands."""
from __future__ import annotations

import click
from flask import Flask

from .delivery.outbox import outbox_progress
from .delivery.runner import drain_outbox, run_forever
from .demo import load_demo
from .extensions import db
from .jobs import DEFERRED_FANOUT, PERIODIC_JOBS
from .public.mirror import MirrorError
from .public.republish import publish_everywhere
from .services import accounts
from .services.audit import Actor
from .services.secret_keys import reencrypt_secrets
from .services.subscriber_import import export_csv, import_csv_file
from .services.validation import ValidationError
from .upstream import poll_all, poll_forever


def _refused(exc: ValidationError) -> click.ClickException:
    """The services' field messages ("password: Use at least 10 characters.") as a CLI error."""
    return click.ClickException(str(exc))


def register_cli(app: Flask) -> None:
    @app.cli.command("create-admin")
    @click.option("--email", required=True, help="The admin's email address (their login).")
    @click.option("--password", default=None, help="Prompted for when not given.")
    @click.option("--role", default="admin", type=click.Choice(["viewer", "responder", "admin"]), show_default=True)
    @click.option("--name", default="", help="Display name.")
    def create_admin(email: str, password: str | None, role: str, name: str) -> None:
        """Create an admin, or reset an existing admin's password."""
        if not password:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        existing = accounts.find_user_by_email(email, include_deleted=True)
        try:
            if existing is None:
                user = accounts.create_user(email=email, password=password, name=name, role=role, actor=Actor.cli())
            else:
                user = accounts.reset_user(existing, password, name=name, actor=Actor.cli())
        except ValidationError as exc:
            raise _refused(exc) from None
        click.echo(f"{'Created' if existing is None else 'Updated'} admin {user.email} ({user.role}). "
                   "Sign in at /admin/.")

    @app.cli.command("create-api-token")
    @click.option("--email", required=True, help="The admin the token acts for.")
    @click.option("--name", default="", help="A label to recognise the token by.")
    @click.option("--role", default=None, type=click.Choice(["viewer", "responder", "admin"]),
                  help="Defaults to the user's role; never more than it.")
    def create_api_token(email: str, name: str, role: str | None) -> None:
        """Print a new API token once, alone on the last line."""
        user = accounts.find_user_by_email(email)
        if user is None:
            raise click.ClickException(f"No admin with email {email}. Create one with create-admin first.")
        try:
            token, raw = accounts.create_token(user, name, role, actor=Actor.cli())
        except ValidationError as exc:
            raise _refused(exc) from None
        click.echo(f"Token {token.prefix}… for {user.email} with role {token.role}. It is shown only once:")
        click.echo(raw)

    @app.cli.command("demo")
    def demo() -> None:
        """Load a believable demo: components, tenants, incidents, a maintenance, subscribers."""
        summary = load_demo()
        db.session.commit()
        click.echo(summary)

    @app.cli.command("deliver")
    @click.option("--drain", is_flag=True, help="Run until the outbox holds nothing due, then exit.")
    def deliver(drain: bool) -> None:
        """Run the delivery worker in the foreground."""
        if drain:
            counts = drain_outbox(before_each_pass=[DEFERRED_FANOUT.run])
            state = outbox_progress()
            click.echo(f"Outbox drained: {counts}")
            click.echo(f"{state['final']} rows final, {state['waiting_retry']} waiting for a scheduled retry, "
                       f"{state['due'] + state['held']} still to send")
            if state["due"] or state["held"]:
                raise SystemExit(1)
        else:
            run_forever(PERIODIC_JOBS)

    @app.cli.command("poll-upstreams")
    @click.option("--once", is_flag=True, help="Fetch every feed once and exit.")
    def poll_upstreams(once: bool) -> None:
        """Fetch upstream status feeds and apply what changed."""
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
        import_csv_file(path, partial=partial, echo=click.echo, actor=Actor.cli())

    @app.cli.command("export-subscribers")
    @click.argument("path", type=click.Path(dir_okay=False, writable=True))
    def export_subscribers_cmd(path: str) -> None:
        """Write every subscriber to a CSV file that import-subscribers reads back."""
        with open(path, "w", encoding="utf-8", newline="") as out:
            count = export_csv(out, actor=Actor.cli())
        click.echo(f"Exported {count} subscribers to {path}")

    @app.cli.command("reencrypt-secrets")
    def reencrypt_secrets_cmd() -> None:
        """Store TOTP seeds and webhook secrets again under the current SECRET_KEY (after a rotation)."""
        click.echo(f"Re-encrypted {reencrypt_secrets(actor=Actor.cli())} secrets")

    @app.cli.command("mirror")
    @click.option("--out", "out", required=True, type=click.Path(file_okay=False),
                  help="Where the tree goes: a symbolic link to the newest build, flipped atomically.")
    def mirror_cmd(out: str) -> None:
        """Write the public site as static files (and to MIRROR_S3_BUCKET when set)."""
        try:
            build = publish_everywhere(app, out)
        except MirrorError as exc:
            raise click.ClickException(f"Mirror not published, the previous tree stays: {exc}") from None
        click.echo(f"Mirrored {len(build.files)} files to {out}")
