"""``flask storeflow ...`` commands for operators.

Each app gets its own ``storeflow`` group, so commands added to one app (the demo's, only
when the demo connector is enabled) never show up in another's.
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from app.emails.commands import preview_email_command, send_test_email_command
from app.insights import idle_eval, sendtime_eval
from app.insights.idle import merchant_idle_days
from app.insights.recommendation_model import refresh_recommendations
from app.insights.recs_eval import TEST_DAYS, VARIANTS, evaluate_shop, format_table
from app.models import Shop, db
from app.pipeline.periodic import minute_tick
from app.shipping import cli as shipping_commands
from app.web.admin.commands import create_support_user

GROUP = "storeflow"


@click.command("tick")
def tick() -> None:
    """Run the minute tick once, now (what rq cron does every minute)."""
    click.echo(minute_tick())


@click.command("eval-recs")
@click.option("--shop", "shop_id", type=int, required=True, help="Shop id to evaluate.")
@click.option("--days", type=int, default=TEST_DAYS, show_default=True, help="Test window.")
def eval_recs(shop_id: int, days: int) -> None:
    """Backtest on the shop's orders: each email's suggestions against bestsellers and an
    item-kNN (time split: learn before the last DAYS days, test on them); then the idle rules."""
    for variant in VARIANTS:
        try:
            result = evaluate_shop(shop_id, variant, days)
        except LookupError as exc:
            raise click.BadParameter(str(exc), param_hint="--shop") from None
        click.echo(format_table(result))
        click.echo()
    customers, at = idle_eval.order_times(shop_id)
    click.echo(
        idle_eval.format_table(idle_eval.idle_backtest(customers, at, merchant_idle_days(shop_id)))
    )


@click.command("eval-sendtime")
@click.option("--shop", "shop_id", type=int, required=True, help="Shop id to evaluate.")
@click.option(
    "--days", type=int, default=sendtime_eval.TEST_DAYS, show_default=True, help="Test window."
)
@click.option(
    "--window-hours",
    type=click.IntRange(1, 72),
    default=sendtime_eval.WINDOW_HOURS,
    show_default=True,
    help="How long a best-time email may wait for the customer's hour.",
)
def eval_sendtime(shop_id: int, days: int, window_hours: int) -> None:
    """Backtest of best send time on the shop's history (learn before the last DAYS days, test
    on them): opens and clicks within an hour of the best-time send against the fixed delay."""
    try:
        result = sendtime_eval.evaluate_shop(shop_id, days, window_hours)
    except LookupError as exc:
        raise click.BadParameter(str(exc), param_hint="--shop") from None
    click.echo(sendtime_eval.format_table(result))


@click.command("refresh-recs")
@click.option("--shop", "shop_id", type=int, required=True, help="Shop id to relearn.")
@click.option("--analyze", is_flag=True, help="ANALYZE the order tables first (after a bulk load).")
def refresh_recs(shop_id: int, analyze: bool) -> None:
    """Relearn a shop's recommendations now (what the nightly job does)."""
    if db.session.get(Shop, shop_id) is None:
        raise click.BadParameter(f"no shop with id {shop_id}", param_hint="--shop")
    click.echo(refresh_recommendations(shop_id, analyze=analyze))


COMMANDS = (
    tick,
    eval_recs,
    eval_sendtime,
    refresh_recs,
    preview_email_command,
    send_test_email_command,
    create_support_user,
    *shipping_commands.COMMANDS,
)


def add_commands(app: Flask, *commands: click.Command) -> None:
    """Add commands to this app's ``flask storeflow`` group."""
    group = app.cli.commands.get(GROUP)
    if not isinstance(group, click.Group):
        group = AppGroup(GROUP, help="Storeflow operations.")
        app.cli.add_command(group)
    for command in commands:
        group.add_command(command)


def init_app(app: Flask) -> None:
    add_commands(app, *COMMANDS)
