"""``flask storeflow create-support-user``: sign-ins for support staff."""

from __future__ import annotations

import click

from app.models import SUPPORT_ROLES
from app.models.support import create_user

MIN_PASSWORD = 12


@click.command("create-support-user")
@click.argument("email")
@click.option("--role", type=click.Choice(SUPPORT_ROLES), default="viewer", show_default=True)
@click.password_option(help="Asked for (twice) when not given.")
def create_support_user(email: str, role: str, password: str) -> None:
    """Give a support staff member a sign-in for /admin/."""
    if len(password) < MIN_PASSWORD:
        raise click.ClickException(f"the password needs at least {MIN_PASSWORD} characters")
    try:
        user = create_user(email, password, role)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"support user {user.email} ({user.role}) created")
