"""``flask storeflow create-support-user``: sign-ins for support staff."""

from __future__ import annotations

import click

from app.models import SUPPORT_ROLES, SupportUser, db
from app.web.admin.auth import find_user

MIN_PASSWORD = 12


def create_user(email: str, password: str, role: str) -> SupportUser:
    """A new active account; ValueError (with the reason) if it cannot be made."""
    email = email.strip().lower()
    if "@" not in email:
        raise ValueError(f"{email!r} is not an email address")
    if role not in SUPPORT_ROLES:
        raise ValueError(f"role must be one of {', '.join(SUPPORT_ROLES)}")
    if find_user(email) is not None:
        raise ValueError(f"{email} already has an account")
    user = SupportUser(email=email, role=role, active=True)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


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
