"""``flask storeflow print-labels`` and friends: bulk print and label links for operators."""

from __future__ import annotations

import json
from pathlib import Path

import click
import sqlalchemy as sa

from app.labels import links
from app.labels.bulk import bulk_print, printable_orders
from app.labels.sheets import LAYOUTS
from app.models import Order, Shop, ShopScope, db


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


@click.command("label-links")
@click.option("--shop", "domain", required=True, help="The shop's domain.")
def label_links(domain: str) -> None:
    """Print the (signed, expiring) link to a shop's label page."""
    click.echo(links.shop_page_url(_shop(domain).id))


@click.command("demo-pay-order")
@click.option("--number", default=None, help="Order number (default: the next free one).")
@click.option("--cod", is_flag=True, help="Cash on delivery.")
def demo_pay_order(number: str | None, cod: bool) -> None:
    """Send the demo shop a signed order/paid webhook, as the shop itself would."""
    from flask import current_app

    from app.demo import DEMO_DOMAIN
    from app.labels.demo import paid_order_delivery

    shop = _shop(DEMO_DOMAIN)
    body, headers = paid_order_delivery(shop, number, cod)
    response = current_app.test_client().post("/webhooks/demo", data=body, headers=headers)
    click.echo(f"order/paid {json.loads(body)['number']} -> HTTP {response.status_code}")
    click.echo(f"labels: {links.shop_page_url(shop.id)}")


COMMANDS = (print_labels, label_links, demo_pay_order)
