"""``flask storeflow ...`` commands for operators."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from app import demo
from app.emails.commands import preview_email_command, send_test_email_command

storeflow = AppGroup("storeflow", help="Storeflow operations.")


@storeflow.command("seed-demo")
def seed_demo() -> None:
    """Create (or refresh) the demo shop and its small catalog."""
    shop = demo.seed()
    click.echo(f"demo shop {shop.domain} (id {shop.id}) ready")


@storeflow.command("tick")
def tick() -> None:
    """Run the minute tick once, now (what rq cron does every minute)."""
    from app.periodic import minute_tick

    click.echo(minute_tick())


storeflow.add_command(preview_email_command)
storeflow.add_command(send_test_email_command)


def init_app(app: Flask) -> None:
    app.cli.add_command(storeflow)
