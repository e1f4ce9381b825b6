"""The demo shop's generated history: enough for recommendations to learn and be evaluated."""

from __future__ import annotations

import sqlalchemy as sa

from app.demo.seed import DEMO_DOMAIN
from app.models import Order, Shop, db


def test_demo_history_teaches_outfits_and_eval_prints_its_tables(app):
    runner = app.test_cli_runner()

    seeded = runner.invoke(args=["storeflow", "seed-demo-history", "--customers", "40"])
    again = runner.invoke(args=["storeflow", "seed-demo-history", "--customers", "40"])
    shop_id = db.session.scalar(sa.select(Shop.id).where(Shop.domain == DEMO_DOMAIN))
    table = runner.invoke(args=["storeflow", "eval-recs", "--shop", str(shop_id)])

    assert seeded.exit_code == again.exit_code == table.exit_code == 0, seeded.output
    orders = db.session.scalar(sa.select(sa.func.count(Order.id)))
    assert f"{orders} orders" in seeded.output and f"{orders} orders" in again.output
    assert "'co_purchase': 0" not in seeded.output  # the outfits are learned as pairs
    # The backtest of each email: with 8 products and 5 picks every method shows nearly the
    # whole catalog, so the honest time split finds no winner here (nothing is asserted on it).
    cross_sell = table.output.split("\n\n")[0].splitlines()
    rows = {line.split()[0]: line.split() for line in cross_sell[2:]}
    assert set(rows) == {"co-purchase", "views-aware", "item-kNN", "bestsellers"}
    assert rows["views-aware"][1:4] == ["vs", "co-purchase", "alone"]  # the paired interval
    assert int(rows["co-purchase"][1]) == int(rows["bestsellers"][1]) > 0
