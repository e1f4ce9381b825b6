"""Recommendations: sources in order, exclusions, and the learned co-purchase pairs."""

from __future__ import annotations

import random

import numpy as np
import pytest
import sqlalchemy as sa

from app.events import types as ev
from app.events.apply import apply
from app.insights import copurchase
from app.insights.recommendation_model import refresh_recommendations
from app.insights.recommendations import recommend_for_customer, recommend_for_order, upsell_for
from app.models import Order, OrderLine, Product, Recommendation, Shop, ShopScope, db
from app.models.shop_settings import RecommendationEvidence
from tests.support.shopping import NOW, add_product, buy, catalog


def learn(shop_id: int) -> None:
    """Relearn, then serve the learned pairs as if the backtest had chosen them: these tests
    are about how suggestions are ranked and filtered (the choice is tested in test_backtest)."""
    db.session.commit()
    refresh_recommendations(shop_id, now=NOW)
    shop = db.session.get(Shop, shop_id)
    shop.recommendation_evidence = RecommendationEvidence(
        method="co_purchase", winback_method="co_purchase", decided_at=NOW.isoformat()
    )
    db.session.commit()


def test_planted_co_purchase_pair_ranks_first_on_generated_history(shop):
    ids = catalog(shop.id, 30)
    rng = random.Random(7)
    for n in range(400):  # background noise: random baskets of 1-3 products
        buy(shop.id, f"noise{n}", rng.sample(sorted(ids), rng.randint(1, 3)))
    for n in range(40):  # the planted pair: 5 goes with 17
        buy(shop.id, f"pair{n}", ["5", "17"])
    order_id = buy(shop.id, "newbie", ["5"], days_ago=1)
    learn(shop.id)

    first = recommend_for_order(shop.id, order_id)[0]

    assert (first.product_id, first.source) == (ids["17"], "co_purchase")
    assert first.support >= 40
    assert first.reason == f"bought together by {first.support} customers"


def test_never_recommends_bought_out_of_stock_unpublished_or_deleted_products(shop):
    ids = catalog(shop.id, 6)
    for n in range(5):  # 1 goes with everything else
        buy(shop.id, f"fan{n}", ["1", "2", "3", "4", "5", "6"])
    buy(shop.id, "ana", ["2"], days_ago=40)  # ana already owns 2
    order_id = buy(shop.id, "ana", ["1"], days_ago=1)
    add_product(shop.id, "3", in_stock=False, updated_at=NOW)
    add_product(shop.id, "4", status="draft", updated_at=NOW)
    apply(ev.ProductDeleted(shop_id=shop.id, product_id="5"))
    learn(shop.id)

    suggested = [s.product_id for s in recommend_for_order(shop.id, order_id)]

    assert suggested == [ids["6"]]


def test_another_variant_of_a_product_the_customer_owns_is_not_suggested(shop):
    ids = catalog(shop.id, 2)
    for n in range(4):
        buy(shop.id, f"fan{n}", ["1"], variant="1-std")
        buy(shop.id, f"fan{n}", ["2"], variant="2-red")
    buy(shop.id, "ana", ["2"], variant="2-blue", days_ago=60)
    ana_order = buy(shop.id, "ana", ["1"], variant="1-std", days_ago=1)
    bob_order = buy(shop.id, "bob", ["1"], variant="1-std", days_ago=1)
    learn(shop.id)

    assert [s.product_id for s in recommend_for_order(shop.id, ana_order)] == []
    assert [s.product_id for s in recommend_for_order(shop.id, bob_order)] == [ids["2"]]


def test_bestsellers_of_the_last_30_order_days_fill_in_when_there_is_no_history(shop):
    ids = catalog(shop.id, 5)
    for day in range(2, 32):  # 2 sells every day for a month: 30 order days (2..31 days ago)
        buy(shop.id, f"a{day}", ["2"], days_ago=day)
    for n in range(2):
        buy(shop.id, f"b{n}", ["3"], days_ago=5)
    for n in range(40):  # sold a lot, but before the shop's last 30 order days
        buy(shop.id, f"c{n}", ["4"], days_ago=45)
    order_id = buy(shop.id, "solo", ["1"], days_ago=1)  # day 31 ago drops out of the window
    learn(shop.id)

    suggested = recommend_for_order(shop.id, order_id)

    assert [(s.product_id, s.source) for s in suggested] == [
        (ids["2"], "bestseller"),
        (ids["3"], "bestseller"),
    ]
    assert suggested[0].reason == "a bestseller: 29 customers bought it lately"


def test_merchant_picks_come_before_learned_pairs(shop):
    ids = catalog(shop.id, 4)
    add_product(shop.id, "1", cross_sell_ids=("3",), updated_at=NOW)
    db.session.execute(
        ShopScope(shop.id)
        .update(Product, Product.id == ids["1"])
        .values(extra={"complementary_product_ids": ["gid://shopify/Product/4"]})
    )
    for n in range(5):
        buy(shop.id, f"fan{n}", ["1", "2"])
    order_id = buy(shop.id, "ana", ["1"], days_ago=1)
    learn(shop.id)

    suggested = [(s.product_id, s.source) for s in recommend_for_order(shop.id, order_id)]

    assert suggested[:3] == [
        (ids["3"], "merchant"),
        (ids["4"], "merchant"),
        (ids["2"], "co_purchase"),
    ]


def test_one_odd_order_does_not_make_a_pair(shop):
    catalog(shop.id, 3)
    buy(shop.id, "odd", ["1", "2"])
    learn(shop.id)

    pairs = ShopScope(shop.id).all(Recommendation, Recommendation.source == "co_purchase")

    assert pairs == []


def test_consumables_may_be_recommended_again(shop):
    shop.settings = {"recommendations": {"consumable_categories": ["Coffee"]}}
    ids = {"1": add_product(shop.id, "1"), "2": add_product(shop.id, "2", category="Coffee")}
    for n in range(4):
        buy(shop.id, f"fan{n}", ["1", "2"])
    buy(shop.id, "ana", ["2"], days_ago=30)
    buy(shop.id, "ana", ["1"], days_ago=2)
    learn(shop.id)
    customer_id = db.session.scalar(sa.select(Order.customer_id).where(Order.email.like("ana%")))

    suggested = [s.product_id for s in recommend_for_customer(shop.id, customer_id)]

    assert suggested == [ids["2"]]


def test_a_consumable_in_this_very_order_is_not_suggested_back(shop):
    shop.settings = {"recommendations": {"consumable_categories": ["Coffee"]}}
    add_product(shop.id, "1")
    coffee = add_product(shop.id, "2", category="Coffee")
    for n in range(4):
        buy(shop.id, f"fan{n}", ["1", "2"])
    order_id = buy(shop.id, "ana", ["1", "2"], days_ago=1)
    learn(shop.id)

    assert coffee not in [s.product_id for s in recommend_for_order(shop.id, order_id)]


def test_upsell_is_a_pricier_product_of_the_same_category(shop):
    shirt = add_product(shop.id, "1", category="Shirts", price="100.00")
    pricier = add_product(shop.id, "2", category="Shirts", price="150.00")
    much_pricier = add_product(shop.id, "3", category="Shirts", price="300.00")
    add_product(shop.id, "4", category="Shirts", price="80.00")
    add_product(shop.id, "5", category="Shoes", price="500.00")
    add_product(shop.id, "6", category="Shirts", price="200.00", in_stock=False)

    suggested = upsell_for(shop.id, [shirt], limit=3)

    assert [s.product_id for s in suggested] == [pricier, much_pricier]
    assert suggested[0].reason == "a step up in Shirts"


def test_refreshing_twice_stores_the_same_rows(shop):
    catalog(shop.id, 3)
    for n in range(4):
        buy(shop.id, f"fan{n}", ["1", "2"])

    def stored():
        rows = ShopScope(shop.id).all(Recommendation)
        return sorted((r.product_id or 0, r.recommended_product_id, r.source) for r in rows)

    learn(shop.id)
    once = stored()
    learn(shop.id)

    assert stored() == once and len(once) == 4  # 1->2, 2->1, two bestsellers


def test_order_of_another_shop_is_refused(shop, make_shop):
    other = make_shop(n=2)
    add_product(other.id, "1")
    order_id = buy(other.id, "ana", ["1"])

    with pytest.raises(LookupError, match="not an order of shop"):
        recommend_for_order(shop.id, order_id)


def test_order_lines_mirror_the_newest_order_items(shop):
    buy(shop.id, "ana", ["1", "2"], order="o-1")
    buy(shop.id, "ana", ["3"], order="o-1", days_ago=9)  # a later edit of the same order

    lines = ShopScope(shop.id).all(OrderLine)

    assert [line.platform_product_id for line in lines] == ["3"]


def test_cosine_scores_shared_customers_against_popularity():
    # baskets: 0 buys {0,1}, 1 buys {0,1}, 2 buys {0,2}; product 0 is in 3 baskets, 1 in 2
    baskets = np.array([0, 0, 1, 1, 2, 2])
    products = np.array([0, 1, 0, 1, 0, 2])

    pairs = copurchase.fit(baskets, products, min_support=2, per_product=5)

    assert list(zip(pairs.product, pairs.partner, pairs.support, strict=True)) == [
        (0, 1, 2),
        (1, 0, 2),
    ]
    assert pairs.score == pytest.approx([2 / np.sqrt(6)] * 2)


def test_nightly_job_relearns_every_active_shop_through_the_worker(shop, make_shop, run_jobs):
    from app.insights.recommendation_model import nightly_recommendations
    from app.pipeline import queues

    make_shop(n=2, status="uninstalled")
    catalog(shop.id, 2)
    for n in range(3):
        buy(shop.id, f"fan{n}", ["1", "2"])
    db.session.commit()

    queues.enqueue(nightly_recommendations)
    finished = run_jobs("sync")

    assert finished == 2  # the nightly fan-out and one shop's refresh
    assert len(ShopScope(shop.id).all(Recommendation, Recommendation.source == "co_purchase")) == 2


def test_only_a_large_sync_relearns_at_once_after_commit_and_analyzes_first(shop, redis_conn):
    from app.insights.recommendation_model import LARGE_SYNC_ORDERS, refresh_after_sync
    from app.pipeline import queues

    assert not refresh_after_sync(shop.id, orders_imported=LARGE_SYNC_ORDERS - 1)
    assert refresh_after_sync(shop.id, orders_imported=LARGE_SYNC_ORDERS)
    assert queues.queue("sync").count == 0
    db.session.commit()
    assert queues.queue("sync").job_ids == [f"recs-refresh-{shop.id}"]
    job = queues.queue("sync").fetch_job(f"recs-refresh-{shop.id}")
    assert job.args == (shop.id, None, True)  # analyze=True: fresh statistics after the import
