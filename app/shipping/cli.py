"""``flask storeflow print-labels`` and friends: bulk print and label links for operators."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa

from app.connectors.couriers import COURIERS
from app.connectors.couriers.base import LABEL_FORMATS
from app.models import Order, Shop, ShopScope, db
from app.shipping import links
from app.shipping import settings as label_settings
from app.shipping.bulk import bulk_print, printable_orders
from app.shipping.sheets import LAYOUTS


def _shop(domain: str) -> Shop:
    shop = db.session.scalars(sa.select(Shop).where(Shop.domain == domain)).first()
    if shop is None:
        raise click.ClickException(f"no shop with domain {domain!r}")
    return shop


def _order_ids(shop: Shop, references: tuple[str, ...]) -> list[int]:
    """Order ids for platform order ids or order numbers, in the order given."""
    scope = ShopScope(shop.id)
    ids = []
    for reference in references:
        order = scope.first(
            Order,
            sa.or_(Order.platform_order_id == reference, Order.order_number == reference),
        )
        if order is None:
            raise click.ClickException(f"no order {reference!r} in {shop.domain}")
        ids.append(order.id)
    return ids


@click.command("print-labels")
@click.option("--shop", "domain", required=True, help="The shop's domain.")
@click.option(
    "--order", "orders", multiple=True, help="Order id or number; repeat. Default: all paid."
)
@click.option("--layout", type=click.Choice(LAYOUTS), default="a6", show_default=True)
@click.option(
    "--offset", type=click.IntRange(0, 3), default=0, help="Used slots on the first A4 sheet."
)
@click.option("--out", default="labels", show_default=True, help="Output path without extension.")
def print_labels(domain: str, orders: tuple[str, ...], layout: str, offset: int, out: str) -> None:
    """Print labels of many orders into one PDF (and/or one ZPL file); failures per order."""
    shop = _shop(domain)
    order_ids = _order_ids(shop, orders) if orders else printable_orders(shop.id)
    result = bulk_print(shop.id, order_ids, layout, offset)
    for suffix, content in ((".pdf", result.pdf), (".zpl", result.zpl)):
        if content is not None:
            Path(out + suffix).write_bytes(content)
            click.echo(f"wrote {out}{suffix}")
    click.echo(f"{len(result.printed)} order(s) printed")
    for reference, reason in result.failures.items():
        click.echo(f"FAILED {reference}: {reason}", err=True)
    if result.failures:
        raise SystemExit(1)


def _pairs(items: tuple[str, ...]) -> dict[str, str]:
    pairs = dict(item.split("=", 1) for item in items if "=" in item)
    if len(pairs) != len(items):
        raise click.ClickException("give values as KEY=VALUE")
    return pairs


@click.command("label-settings")
@click.option("--shop", "domain", required=True, help="The shop's domain.")
@click.option("--courier", type=click.Choice(sorted(COURIERS)))
@click.option("--trigger", type=click.Choice(label_settings.TRIGGERS))
@click.option("--format", "label_format", type=click.Choice(LABEL_FORMATS))
@click.option("--service", help="The courier's service code.")
@click.option("--enable/--disable", default=None)
@click.option("--shipping-email/--no-shipping-email", default=None, help="Our tracking email.")
@click.option("--sender", multiple=True, help="Sender address field, KEY=VALUE; repeat.")
@click.option("--parcel", multiple=True, help="Default parcel, e.g. weight_kg=1.5; repeat.")
@click.option("--credential", multiple=True, help="Courier credential KEY=VALUE; repeat.")
def label_settings_command(domain: str, **options: Any) -> None:
    """Show or change a shop's label settings (credentials are stored encrypted, never shown)."""
    shop = _shop(domain)
    current = label_settings.load(shop.id)
    values = {**current.as_values(), "enabled": current.enabled}
    for name in ("courier", "trigger", "label_format", "service"):
        if options[name] is not None:
            values[name] = options[name]
    for flag, key in (("enable", "enabled"), ("shipping_email", "shipping_email")):
        if options[flag] is not None:
            values[key] = options[flag]
    values["sender"] = {**current.sender, **_pairs(options["sender"])}
    values["parcel"] = {**current.parcel, **_pairs(options["parcel"])}
    credentials = _pairs(options["credential"]) or None
    try:
        label_settings.save(shop.id, label_settings.LabelSettings(**values), credentials)
    except label_settings.SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    stored = label_settings.courier_credentials(shop, values["courier"])
    click.echo(json.dumps({**values, "credentials": sorted(stored)}, ensure_ascii=False, indent=2))


@click.command("label-links")
@click.option("--shop", "domain", required=True, help="The shop's domain.")
def label_links(domain: str) -> None:
    """Print where the shop's merchant finds their labels: the merchant page in the shop's
    admin (its Labels tab). No signed link opens the labels any more."""
    url = links.merchant_page_url(_shop(domain))
    if url is None:
        raise click.ClickException("this shop's admin does not show the merchant page")
    click.echo(url)


COMMANDS = (print_labels, label_settings_command, label_links)
