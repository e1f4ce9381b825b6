"""The recommendation model that learns from views as well as orders (view -> purchase pairs):
evaluated against the order-only model on the same time split and the same test customers,
served only where it wins by evidence."""

from __future__ import annotations

import random
import re
from datetime import timedelta

import numpy as np
import pytest
import sqlalchemy as sa

from app.insights import recs_choice
from app.insights.history import load_lines
from app.insights.knobs import ModelSettings
from app.insights.recommendation_model import refresh_recommendations
from app.insights.recommendations import recommend_for_customer, recommend_for_order
from app.insights.recs_eval import backtest, cases, categories, format_table, learn, ranked
from app.insights.viewing import Views, load_views
from app.models import Customer, Order, Recommendation, Shop, ShopScope, StorefrontEvent, db
from app.models.shop_settings import RecommendationEvidence
from tests.insights.test_backtest import History, no_categories, planted
from tests.support.shopping import NOW, add_product, buy, catalog

LOOKED = list(range(41, 61))  # products people look at...
THEN_BOUGHT = list(range(61, 81))  # ...and what the lookers of each buy: 41 -> 61, 42 -> 62...
POPULAR = [31, 32, 33, 34, 35]


class Looked(History):
    """Order lines and the known customers' product views of a generated shop."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[int, int, float]] = []

    def view(self, customer: int, product: int, days_ago: float) -> None:
        self.seen.append((customer, product, NOW.timestamp() - days_ago * 86400.0))

    def views(self, product_ids: np.ndarray) -> Views:
        return Views.from_rows(np.array(self.seen, dtype=np.float64), product_ids)


def looked_then_bought(rng: random.Random, signal: bool = True) -> Looked:
    """Shoppers look at a product and buy its partner; their orders say nothing of it (the
    partner comes with something popular, which goes with every partner alike). Without
    ``signal`` the views are of random products."""
    h = Looked()

    def looked_at(k: int) -> int:
        return LOOKED[k] if signal else rng.choice(LOOKED)

    for c in range(1, 601):  # learned from: looked at one, bought its partner
        k = rng.randrange(len(LOOKED))
        h.view(c, looked_at(k), rng.uniform(63, 89))
        h.order(c, [THEN_BOUGHT[k], rng.choice(POPULAR)], rng.uniform(62, 88))
    for c in range(2000, 2100):  # the looked-at products sell too, on their own
        h.order(c, [rng.choice(LOOKED)], rng.uniform(62, 400))
    for c in range(1000, 1300):  # tested on: something popular, a look, then the partner
        k = rng.randrange(len(LOOKED))
        h.order(c, [rng.choice(POPULAR)], rng.uniform(62, 300))
        h.view(c, looked_at(k), rng.uniform(63, 89))
        h.order(c, [THEN_BOUGHT[k]], rng.uniform(1, 59))
    return h


@pytest.mark.parametrize("variant", ["order", "customer"])
def test_views_that_carry_signal_win_against_orders_alone_and_are_served(variant):
    h = looked_then_bought(random.Random(11))
    lines = h.lines()

    result = backtest(
        lines, ModelSettings(), no_categories(lines), variant, 60, h.views(lines.product_ids)
    )

    views, orders = result.results["views_aware"], result.results["co_purchase"]
    assert result.cases == 300
    assert views.hit_rate > 0.9 > orders.hit_rate
    assert result.versus("views_aware", "co_purchase").low > 0
    assert result.versus("views_aware").low > 0  # and over bestsellers
    assert recs_choice.serves(result) == "views_aware"


@pytest.mark.parametrize("variant", ["order", "customer"])
def test_views_without_signal_are_not_served(variant):
    h = looked_then_bought(random.Random(12), signal=False)  # looks at random products
    lines = h.lines()
    views = h.views(lines.product_ids)

    result = backtest(lines, ModelSettings(), no_categories(lines), variant, 60, views)

    assert result.cases == 300
    assert result.versus("views_aware", "co_purchase").low <= 0
    assert result.versus("co_purchase").low > 0  # the orders' own pairs still beat bestsellers
    assert recs_choice.serves(result) == "co_purchase"


def test_a_shop_without_views_scores_both_models_the_same_and_keeps_orders_alone():
    lines = planted(random.Random(14)).lines()
    result = backtest(lines, ModelSettings(), no_categories(lines), "order")
    assert np.array_equal(result.results["views_aware"].hits, result.results["co_purchase"].hits)
    assert recs_choice.serves(result) == "co_purchase"


def test_the_backtest_table_prints_both_models_and_their_paired_interval():
    h = looked_then_bought(random.Random(15))
    lines = h.lines()
    result = backtest(
        lines, ModelSettings(), no_categories(lines), "order", 60, h.views(lines.product_ids)
    )

    table = format_table(result)

    views_row = re.search(r"^views-aware +300 +([\d.]+)%", table, re.MULTILINE)
    orders_row = re.search(r"^co-purchase +300 +([\d.]+)%", table, re.MULTILINE)
    assert views_row and orders_row
    assert float(views_row[1]) > float(orders_row[1])
    p = result.versus("views_aware", "co_purchase")
    interval = f"{p.diff:+.1%} ({p.low:+.1%} to {p.high:+.1%})"
    assert f"views-aware vs co-purchase alone (95% CI):  {interval}" in table


def test_the_merchant_is_told_in_pl_ro_and_en_that_views_teach_the_picks():
    h = looked_then_bought(random.Random(16))
    lines = h.lines()
    views = h.views(lines.product_ids)
    cross_sell = backtest(lines, ModelSettings(), no_categories(lines), "order", 60, views)
    win_back = backtest(lines, ModelSettings(), no_categories(lines), "customer", 60, views)

    evidence = recs_choice.decide(cross_sell, win_back, NOW)

    assert (evidence.method, evidence.winback_method) == ("views_aware", "views_aware")
    assert evidence.views_hit_permille > evidence.model_hit_permille
    assert evidence.views_diff_low_permille > 0
    en, pl, ro = (recs_choice.evidence_sentence(evidence, loc) for loc in ("en", "pl", "ro"))
    assert "what they look at before they buy" in en and "for picks from orders alone" in en
    assert "co oglądają przed zakupem" in pl and "propozycji z samych zamówień" in pl
    assert "ce privesc înainte să cumpere" in ro and "doar din comenzi" in ro


def _shop_that_learns_from_views(shop_id: int, rng: random.Random) -> None:
    """Through real order events: 12 products looked at (1-12), their partners (13-24),
    two popular ones (25, 26); views stored as the collector stores them."""
    catalog(shop_id, 26)
    looks: list[tuple[str, str, float]] = []
    for c in range(160):  # learned from
        k = rng.randrange(12)
        buy(shop_id, f"t{c}", [str(13 + k), rng.choice(["25", "26"])], rng.uniform(62, 88))
        looks.append((f"t{c}", str(1 + k), rng.uniform(63, 89)))
    for c in range(20):
        buy(shop_id, f"s{c}", [str(1 + c % 12)], rng.uniform(62, 300))
    for c in range(130):  # tested on
        k = rng.randrange(12)
        buy(shop_id, f"r{c}", [rng.choice(["25", "26"])], rng.uniform(62, 300))
        looks.append((f"r{c}", str(1 + k), rng.uniform(63, 89)))
        buy(shop_id, f"r{c}", [str(13 + k)], rng.uniform(1, 59))
    ids = dict(
        db.session.execute(
            ShopScope(shop_id)
            .select(Customer)
            .with_only_columns(Customer.platform_customer_id, Customer.id)
        ).all()
    )
    db.session.add_all(
        StorefrontEvent(
            shop_id=shop_id,
            visitor_id=f"visitor-{who}",
            customer_id=ids[who],
            kind="product_viewed",
            product_id=product,
            occurred_at=NOW - timedelta(days=days_ago),
        )
        for who, product, days_ago in looks
    )
    db.session.commit()


def test_nightly_refresh_serves_views_aware_picks_where_they_win(shop):
    _shop_that_learns_from_views(shop.id, random.Random(17))

    refresh_recommendations(shop.id, now=NOW)

    evidence = db.session.get(Shop, shop.id).recommendation_evidence
    assert evidence.cases >= recs_choice.MIN_CASES
    assert evidence.method == "views_aware", evidence
    stored = ShopScope(shop.id).all(Recommendation, Recommendation.source == "view_purchase")
    assert stored
    # A customer who bought something popular and then looked at product 3 is offered its
    # partner (15) first, because of the look.
    buy(shop.id, "newcomer", ["25"], 20)
    newcomer = ShopScope(shop.id).first(Customer, Customer.platform_customer_id == "newcomer")
    db.session.add(
        StorefrontEvent(
            shop_id=shop.id,
            visitor_id="visitor-newcomer",
            customer_id=newcomer.id,
            kind="product_viewed",
            product_id="3",
            occurred_at=NOW - timedelta(days=1),
        )
    )
    db.session.commit()
    first = recommend_for_customer(shop.id, newcomer.id)[0]
    assert (first.platform_product_id, first.source) == ("15", "view_purchase")
    assert first.reason.startswith("bought by ") and "who looked at the same" in first.reason


def test_eval_command_prints_the_views_aware_model_beside_the_order_only_one(shop, app):
    _shop_that_learns_from_views(shop.id, random.Random(18))
    add_product(shop.id, "99")  # a product nobody bought or viewed changes nothing
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["storeflow", "eval-recs", "--shop", str(shop.id)])

    assert result.exit_code == 0, result.output
    assert "\nviews-aware " in result.output
    assert result.output.count("views-aware vs co-purchase alone (95% CI):") == 2


def test_the_views_aware_backtest_ranks_exactly_as_the_emails_serve_it(shop):
    _shop_that_learns_from_views(shop.id, random.Random(19))
    refresh_recommendations(shop.id, now=NOW)
    shop.recommendation_evidence = RecommendationEvidence(
        method="views_aware", winback_method="views_aware", decided_at=NOW.isoformat()
    )
    db.session.commit()
    lines = load_lines(shop.id)
    views = load_views(shop.id, lines)
    learned = learn(lines, ModelSettings(), categories(shop.id, lines), views)
    last_orders = dict(
        db.session.execute(
            ShopScope(shop.id)
            .select(Order)
            .with_only_columns(Order.customer_id, sa.func.max(Order.id))
            .group_by(Order.customer_id)
        ).all()
    )
    customers = np.array(sorted(last_orders), dtype=np.int64)[::4]  # a quarter is plenty

    for variant, live in (
        ("order", lambda c: recommend_for_order(shop.id, last_orders[c], limit=5)),
        ("customer", lambda c: recommend_for_customer(shop.id, c, limit=5)),
    ):
        found = cases(lines, customers, variant, views)
        for part, top, valid in ranked(learned, found, "views_aware"):
            for customer, picks, shown in zip(customers[part], top, valid, strict=True):
                expected = lines.product_ids[picks[shown]].tolist()
                assert [s.product_id for s in live(int(customer))] == expected, (variant, customer)
    assert learned.view_pairs.nnz > 0 and found.viewed.nnz > 0
