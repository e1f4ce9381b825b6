"""The demo shop's generated history: enough for recommendations to learn and be evaluated."""

from __future__ import annotations

import sqlalchemy as sa

from app.demo.seed import DEMO_DOMAIN
from app.models import Order, Shop, db


def test_demo_history_teaches_outfits_and_eval_prints_its_table(app):
    runner = app.test_cli_runner()

    seeded = runner.invoke(args=["storeflow", "seed-demo-history", "--customers", "40"])
    again = runner.invoke(args=["storeflow", "seed-demo-history", "--customers", "40"])
    shop_id = db.session.scalar(sa.select(Shop.id).where(Shop.domain == DEMO_DOMAIN))
    table = runner.invoke(args=["storeflow", "eval-recs", "--shop", str(shop_id)])

    assert seeded.exit_code == again.exit_code == table.exit_code == 0, seeded.output
    orders = db.session.scalar(sa.select(sa.func.count(Order.id)))
    assert f"{orders} orders" in seeded.output and f"{orders} orders" in again.output
    model, baseline = (line.split() for line in table.output.strip().splitlines()[1:])
    assert float(model[2].rstrip("%")) > float(baseline[2].rstrip("%"))
