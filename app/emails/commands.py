"""CLI: render an email to a file, or send a test, before shoppers see it."""

from __future__ import annotations

import click

from app.emails.preview import preview_email, send_test_email
from app.emails.rendering import TEMPLATES

_TEMPLATE = click.Choice(sorted(TEMPLATES))
_LOCALE = click.Choice(["en", "pl", "ro"])


@click.command("preview-email")
@click.option("--shop", "shop_id", type=int, required=True, help="Shop id.")
@click.option("--template", type=_TEMPLATE, required=True)
@click.option("--locale", type=_LOCALE, default="en", show_default=True)
@click.option("--cart", "cart_id", type=int, default=None, help="A real cart; else a sample.")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), required=True)
def preview_email_command(
    shop_id: int, template: str, locale: str, cart_id: int | None, out: str
) -> None:
    """Render an email to an HTML file (the plain-text part goes next to it as .txt)."""
    try:
        content = preview_email(shop_id, template, locale, cart_id)
    except (LookupError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    with open(out, "w", encoding="utf-8") as handle:
        handle.write(content.html)
    with open(f"{out}.txt", "w", encoding="utf-8") as handle:
        handle.write(content.text)
    click.echo(f"{content.subject}\n-> {out} (+ {out}.txt)")


@click.command("send-test-email")
@click.option("--shop", "shop_id", type=int, required=True, help="Shop id.")
@click.option("--template", type=_TEMPLATE, required=True)
@click.option("--locale", type=_LOCALE, default="en", show_default=True)
@click.option("--to", required=True, help="Where the test goes (the merchant's address).")
def send_test_email_command(shop_id: int, template: str, locale: str, to: str) -> None:
    """Send an email to yourself through the configured sender (STOREFLOW_MAIL_URL)."""
    try:
        provider_id = send_test_email(shop_id, template, to, locale)
    except (LookupError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"sent: {provider_id}")
