"""What the orders teach before any model: bestsellers relative to the shop's own data, the
staples customers come back for, and fresh statistics after a bulk load."""

from __future__ import annotations

import numpy as np
import sqlalchemy as sa

from app.flows import cross_sell
from app.flows.engine.settings import settings_for
from app.insights.history import DAY, Lines, bestsellers, repurchase
from app.insights.recommendation_model import refresh_recommendations
from app.insights.recommendations import (
    recommend_for_customer,
    recommend_for_order,
    repurchase_intervals,
)
from app.models import Order, Recommendation, Shop, ShopScope, db
from app.models.shop_settings import RecommendationKnobs
from tests.support.shopping import NOW, add_product, buy, catalog


def lines(rows: list[tuple[int, int, float, int, int]]) -> Lines:
    """(customer, product id, days ago, quantity, order) rows as the nightly job loads them."""
    now = NOW.timestamp()
    return Lines.from_rows(
        np.array([(c, p, now - d * DAY, q, o) for c, p, d, q, o in rows], dtype=np.float64)
    )


def test_bestsellers_are_the_last_30_days_that_have_orders_not_the_last_30_calendar_days():
    # An imported history whose newest order is a year old: the wall clock would find nothing.
    rows = [(n, 7, 400 + n, 1, n) for n in range(30)]  # 7 sold on 30 order days
    rows += [(100 + n, 8, 400, 1, 100 + n) for n in range(10)]  # 8 sold 10 times on one day
    rows += [(200 + n, 9, 500, 1, 200 + n) for n in range(50)]  # 9: before those 30 order days
    history = lines(rows)

    best = bestsellers(history)

    assert history.product_ids[best.product].tolist() == [7, 8]
    assert best.units.tolist() == [30.0, 10.0]
    assert best.buyers.tolist() == [30, 10]


def test_a_quiet_shop_with_few_order_days_counts_all_its_history():
    history = lines([(1, 5, 200, 2, 1), (2, 6, 20, 1, 2), (3, 5, 3, 1, 3)])

    best = bestsellers(history)

    assert history.product_ids[best.product].tolist() == [5, 6]


def test_imported_history_keeps_its_bestsellers_after_the_nightly_refresh(shop):
    ids = catalog(shop.id, 3)
    for n in range(6):
        buy(shop.id, f"old{n}", ["2"], days_ago=400 + n)
    buy(shop.id, "older", ["3"], days_ago=420)
    db.session.commit()

    refresh_recommendations(shop.id, now=NOW)

    rows = ShopScope(shop.id).all(Recommendation, Recommendation.source == "bestseller")
    assert sorted((r.rank, r.recommended_product_id) for r in rows) == [
        (1, ids["2"]),
        (2, ids["3"]),
    ]


def test_a_fresh_shop_with_order_history_gets_bestsellers_before_any_refresh(shop):
    """The cross-sell email of a shop the nightly job has not learned yet is not cancelled
    'nothing to recommend': bestsellers come from its newest order lines."""
    ids = catalog(shop.id, 3)
    for n in range(3):
        buy(shop.id, f"old{n}", ["2"], days_ago=300)
    order_id = buy(shop.id, "new", ["1"], days_ago=1)
    db.session.commit()
    assert ShopScope(shop.id).all(Recommendation) == []

    order = ShopScope(shop.id).get(Order, order_id)
    shown = cross_sell.suggestions(shop.id, order, settings_for(shop.id, cross_sell.FLOW))

    assert [(s.product_id, s.source) for s in shown] == [(ids["2"], "bestseller")]


def test_repurchase_learns_which_products_come_back_and_after_how_long():
    rows = []
    for c in range(1, 6):  # coffee (1): five customers, each buys it every 30 days, 3 times
        rows += [(c, 1, 100 - 30 * k, 1, c * 10 + k) for k in range(3)]
    for c in range(6, 16):  # kettle (2): ten customers buy it once
        rows.append((c, 2, 50, 1, c * 10))
    rows += [(-99, 1, 10, 1, 99), (-98, 1, 11, 1, 98)]  # guests cannot come back

    rep = repurchase(lines(rows))

    assert rep.staple.tolist() == [True, False]
    assert rep.repeaters.tolist() == [5, 0]
    assert rep.buyers.tolist() == [5, 10]
    assert rep.interval_days[0] == 30.0
    assert np.isnan(rep.interval_days[1])


def staple_history(shop_id: int) -> tuple[dict[str, int], int]:
    ids = catalog(shop_id, 3)
    add_product(shop_id, "4", category="Coffee")
    for n in range(5):  # coffee is bought again and again
        for k in range(3):
            buy(shop_id, f"regular{n}", ["4"], days_ago=120 - 30 * k)
    for n in range(6):  # 2 is the shop's bestseller
        buy(shop_id, f"crowd{n}", ["2"], days_ago=20)
    buy(shop_id, "ana", ["4"], days_ago=40)
    order_id = buy(shop_id, "ana", ["1"], days_ago=1)
    return ids, order_id


def test_staples_come_back_to_the_customer_who_buys_them(shop):
    ids, order_id = staple_history(shop.id)
    db.session.commit()
    refresh_recommendations(shop.id, now=NOW)
    coffee = ShopScope(shop.id).first(Recommendation, Recommendation.source == "repurchase")
    assert (coffee.support, coffee.rank) == (5, 30)  # five regulars, every 30 days
    assert repurchase_intervals(shop.id) == {coffee.product_id: 30}

    suggested = recommend_for_order(shop.id, order_id)

    assert (suggested[0].source, suggested[0].reason) == (
        "repurchase",
        "bought again by 5 of its customers",
    )
    assert [s.product_id for s in suggested] == [coffee.product_id, ids["2"]]
    winback = recommend_for_customer(shop.id, ShopScope(shop.id).get(Order, order_id).customer_id)
    assert winback[0].product_id == coffee.product_id


def test_the_merchant_can_keep_a_learned_staple_from_coming_back(shop):
    ids, order_id = staple_history(shop.id)
    shop.recommendation_knobs = RecommendationKnobs(one_time_categories=("Coffee",))
    db.session.commit()
    refresh_recommendations(shop.id, now=NOW)

    assert [s.product_id for s in recommend_for_order(shop.id, order_id)] == [ids["2"]]
    assert repurchase_intervals(shop.id) == {}


def test_refresh_after_a_bulk_load_analyzes_the_imported_tables(shop):
    catalog(shop.id, 2)
    buy(shop.id, "ana", ["1", "2"])
    db.session.commit()
    count = sa.text("SELECT analyze_count FROM pg_stat_user_tables WHERE relname = 'order_lines'")
    before = db.session.scalar(count)
    db.session.commit()

    refresh_recommendations(shop.id, now=NOW)
    db.session.execute(sa.text("SELECT pg_stat_clear_snapshot()"))
    unchanged = db.session.scalar(count)
    refresh_recommendations(shop.id, now=NOW, analyze=True)
    db.session.execute(sa.text("SELECT pg_stat_clear_snapshot()"))

    assert unchanged == before
    assert db.session.scalar(count) == before + 1
    assert db.session.get(Shop, shop.id) is not None
