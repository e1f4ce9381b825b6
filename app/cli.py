"""``flask storeflow ...`` commands for operators."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from app.demo import seed as demo
from app.emails.commands import preview_email_command, send_test_email_command
from app.shipping import cli as shipping_commands
from app.web.admin.commands import create_support_user

storeflow = AppGroup("storeflow", help="Storeflow operations.")


@storeflow.command("seed-demo")
def seed_demo() -> None:
    """Create (or refresh) the demo shop and its small catalog."""
    shop = demo.seed()
    click.echo(f"demo shop {shop.domain} (id {shop.id}) ready")


@storeflow.command("tick")
def tick() -> None:
    """Run the minute tick once, now (what rq cron does every minute)."""
    from app.pipeline.periodic import minute_tick

    click.echo(minute_tick())


for _command in (
    preview_email_command,
    send_test_email_command,
    create_support_user,
    *shipping_commands.COMMANDS,
):
    storeflow.add_command(_command)


def init_app(app: Flask) -> None:
    app.cli.add_command(storeflow)


@storeflow.command("demo-cart")
@click.option("--email", default="ania@example.com", show_default=True, help="shopper's email")
@click.option("--cart", "cart_key", default=None, help="cart key (default: a new one)")
@click.option("--buy", is_flag=True, help="place the order for this cart (stops the reminders)")
def demo_cart(email: str, cart_key: str | None, buy: bool) -> None:
    """Abandon a cart in the demo shop (reminders in ~1, 2, 3 min), or --buy it."""
    import uuid

    from app.demo import shoppers as play

    shop = play.demo_shop()
    play.use_fast_clock(shop)
    cart_key = cart_key or f"demo-{uuid.uuid4().hex[:8]}"
    topic, payload = (
        ("order/created", play.order_payload(cart_key, email))
        if buy
        else ("cart/updated", play.cart_payload(cart_key, email))
    )
    response = play.post(shop, topic, payload)
    click.echo(f"{topic} for cart {cart_key} ({email}): HTTP {response.status_code}")
    if not buy:
        click.echo(f"reminders go to the outbox; stop them with: --cart {cart_key} --buy")


@storeflow.command("eval-recs")
@click.option("--shop", "shop_id", type=int, required=True, help="Shop id to evaluate.")
def eval_recs(shop_id: int) -> None:
    """Hit rate@5 and coverage of recommendations vs bestsellers (last order held out)."""
    from app.insights.recs_eval import evaluate_shop, format_table

    try:
        results = evaluate_shop(shop_id)
    except LookupError as exc:
        raise click.BadParameter(str(exc), param_hint="--shop") from None
    click.echo(format_table(results))


@storeflow.command("refresh-recs")
@click.option("--shop", "shop_id", type=int, required=True, help="Shop id to relearn.")
def refresh_recs(shop_id: int) -> None:
    """Relearn a shop's recommendations now (what the nightly job does)."""
    from app.insights.recommendation_model import refresh_recommendations
    from app.models import Shop, db

    if db.session.get(Shop, shop_id) is None:
        raise click.BadParameter(f"no shop with id {shop_id}", param_hint="--shop")
    click.echo(refresh_recommendations(shop_id))


@storeflow.command("seed-demo-history")
@click.option("--customers", type=click.IntRange(1, 100_000), default=120, show_default=True)
def seed_demo_history(customers: int) -> None:
    """Give the demo shop a generated order history and learn recommendations from it."""
    from app.demo.history import seed_history
    from app.insights.recommendation_model import refresh_recommendations

    shop = demo.seed()
    orders = seed_history(shop, customers=customers)
    learned = refresh_recommendations(shop.id)
    click.echo(f"demo shop {shop.id}: {orders} orders in its history; learned {learned}")


@storeflow.command("demo-cross-sell")
@click.option("--email", default=None, help="customer's email (default: a new one)")
def demo_cross_sell(email: str | None) -> None:
    """Pay for an order in the demo shop; its cross-sell email comes ~1 min later."""
    import uuid

    from app.demo import flows as demo_flows

    email = email or f"ola-{uuid.uuid4().hex[:6]}@example.com"
    _shop, response = demo_flows.buy_now(email)
    click.echo(f"order/paid for {email}: HTTP {response.status_code}")
    click.echo("the cross-sell email goes to the outbox in about a minute")


@storeflow.command("demo-winback")
@click.option("--email", default=None, help="customer's email (default: a new one)")
def demo_winback(email: str | None) -> None:
    """An idle customer in the demo shop: two win-back emails within ~3 min."""
    import uuid

    from app.demo import flows as demo_flows

    # A new customer each time: the scan never picks the same one twice within the cooldown.
    email = email or f"marek-{uuid.uuid4().hex[:6]}@example.com"
    try:
        _shop, response, idle = demo_flows.go_idle(email)
    except TimeoutError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"order/created (120 days ago) for {email}: HTTP {response.status_code}")
    click.echo(f"idle scan: {idle} newly idle (those who agreed to marketing get emails)")
    click.echo("win-back emails now and 2 minutes later")
