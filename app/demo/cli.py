"""``flask storeflow seed-demo``, ``demo-cart`` and the other demo commands, and ``init_app``,
which create_app calls only when the demo connector is enabled.

The commands that play a shopper send signed deliveries to the running ``make run`` service,
found through ``instance/run.json`` (``service.py``), so its worker and its Redis do the rest.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import click
from flask import Flask, current_app

from app.cli import add_commands
from app.demo import couriers, shoppers, views
from app.demo import flows as demo_flows
from app.demo import seed as demo
from app.demo.browsing import browse as demo_browse_run
from app.demo.deliveries import post
from app.demo.history import seed_history
from app.demo.labels import demo_labels_url, paid_order
from app.demo.service import RunningService, ServiceNotRunning, find_service, pointed_at
from app.demo.shops import boutique
from app.insights.recommendation_model import refresh_recommendations


@contextmanager
def _running_service() -> Iterator[RunningService]:
    """Point this command at the running service, or stop with a sentence saying why not."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        service = find_service(app)
    except ServiceNotRunning as exc:
        raise click.ClickException(str(exc)) from None
    with pointed_at(app, service):
        try:
            yield service
        except LookupError as exc:  # no demo shop in this database
            raise click.ClickException(str(exc)) from None


@click.command("seed-demo")
def seed_demo() -> None:
    """Create (or refresh) the demo shop and its small catalog."""
    shop = demo.seed()
    click.echo(f"demo shop {shop.domain} (id {shop.id}) ready")


@click.command("seed-demo-history")
@click.option("--customers", type=click.IntRange(1, 100_000), default=120, show_default=True)
def seed_demo_history(customers: int) -> None:
    """Give the demo shop a generated order history and learn recommendations from it."""
    shop = demo.seed()
    orders = seed_history(shop, customers=customers)
    learned = refresh_recommendations(shop.id)
    click.echo(f"demo shop {shop.id}: {orders} orders in its history; learned {learned}")


@click.command("demo-cart")
@click.option("--email", default="ania@example.com", show_default=True, help="shopper's email")
@click.option("--cart", "cart_key", default=None, help="cart key (default: a new one)")
@click.option("--buy", is_flag=True, help="place the order for this cart (stops the reminders)")
def demo_cart(email: str, cart_key: str | None, buy: bool) -> None:
    """Abandon a cart in the demo shop (reminders in ~1, 2, 3 min), or --buy it."""
    with _running_service() as service:
        shop = boutique()
        shoppers.use_fast_clock(shop)
        cart_key = cart_key or f"demo-{uuid.uuid4().hex[:8]}"
        topic, payload = (
            ("order/created", shoppers.order_payload(cart_key, email))
            if buy
            else ("cart/updated", shoppers.cart_payload(cart_key, email))
        )
        response = post(shop, topic, payload)
    sent = f"{topic} for cart {cart_key} ({email}) to {service.public_url}"
    click.echo(f"{sent}: HTTP {response.status_code}")
    if not buy:
        click.echo(f"reminders go to the outbox; stop them with: --cart {cart_key} --buy")


@click.command("demo-cross-sell")
@click.option("--email", default=None, help="customer's email (default: a new one)")
def demo_cross_sell(email: str | None) -> None:
    """Pay for an order in the demo shop; its cross-sell email comes ~1 min later."""
    email = email or f"ola-{uuid.uuid4().hex[:6]}@example.com"
    with _running_service():
        _shop, response = demo_flows.buy_now(email)
    click.echo(f"order/paid for {email}: HTTP {response.status_code}")
    click.echo("the cross-sell email goes to the outbox in about a minute")


@click.command("demo-winback")
@click.option("--email", default=None, help="customer's email (default: a new one)")
def demo_winback(email: str | None) -> None:
    """An idle customer in the demo shop: two win-back emails within ~3 min."""
    # A new customer each time: the scan never picks the same one twice within the cooldown.
    email = email or f"marek-{uuid.uuid4().hex[:6]}@example.com"
    with _running_service():
        try:
            _shop, response, idle = demo_flows.go_idle(email)
        except TimeoutError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"order/created (120 days ago) for {email}: HTTP {response.status_code}")
    click.echo(f"idle scan: {idle} newly idle (those who agreed to marketing get emails)")
    click.echo("win-back emails now and 2 minutes later")


@click.command("demo-browse")
@click.option("--email", default=None, help="shopper's email (default: a new one)")
@click.option("--product", "product_id", default="1008", show_default=True, help="product id")
def demo_browse(email: str | None, product_id: str) -> None:
    """A known shopper views a product three times: a browse-abandonment email ~1 min later."""
    # A new shopper each time: the same product is never emailed about twice in 30 days.
    email = email or f"kasia-{uuid.uuid4().hex[:6]}@example.com"
    with _running_service():
        try:
            statuses, found = demo_browse_run(email, product_id)
        except TimeoutError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"3 views of product {product_id} by {email}: HTTP {statuses}")
    click.echo(
        f"browse scan: {found} shopper(s) found; the email goes to the outbox within a minute"
    )


@click.command("demo-birthday")
@click.option("--email", default=None, help="shopper's email (default: a new one)")
def demo_birthday(email: str | None) -> None:
    """A shopper whose birthday is in three days: the birthday email within a minute."""
    # A new shopper each time: a customer gets one birthday wish a year.
    email = email or f"ola-{uuid.uuid4().hex[:6]}@example.com"
    with _running_service():
        try:
            _shop, response, found = demo_flows.birthday_soon(email)
        except TimeoutError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"customer/updated (birthday in 3 days) for {email}: HTTP {response.status_code}")
    click.echo(
        f"birthday scan: {found} found; the wish with its gift code goes to the outbox "
        "within a minute"
    )


@click.command("demo-pay-order")
@click.option("--number", default=None, help="Order number (default: the next free one).")
@click.option("--cod", is_flag=True, help="Cash on delivery.")
def demo_pay_order(number: str | None, cod: bool) -> None:
    """Send the demo shop a signed order/paid webhook, as the shop itself would."""
    with _running_service():
        shop = boutique()
        payload = paid_order(shop, number, cod)
        response = post(shop, "order/paid", payload)
        labels = demo_labels_url(shop)
    click.echo(f"order/paid {payload['number']} -> HTTP {response.status_code}")
    click.echo(f"labels: {labels}")


COMMANDS = (
    seed_demo,
    seed_demo_history,
    demo_cart,
    demo_cross_sell,
    demo_winback,
    demo_browse,
    demo_birthday,
    demo_pay_order,
)


def init_app(app: Flask) -> None:
    """The demo's commands and page; create_app calls this only with the demo connector on."""
    app.register_blueprint(views.bp)
    app.register_blueprint(couriers.bp)
    add_commands(app, *COMMANDS)
