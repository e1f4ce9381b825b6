"""The backtest and the per-shop choice: learned pairs are served only where the shop's own
orders show they win, and the backtest ranks exactly as the emails do."""

from __future__ import annotations

import random

import numpy as np
import pytest
import sqlalchemy as sa

from app.insights import recs_choice
from app.insights.history import DAY, Lines, load_lines
from app.insights.knobs import ModelSettings
from app.insights.recommendation_model import refresh_recommendations
from app.insights.recommendations import recommend_for_customer, recommend_for_order
from app.insights.recs_eval import backtest, cases, categories, learn, ranked
from app.models import Order, Shop, ShopScope, db
from app.models.shop_settings import RecommendationEvidence
from tests.support.shopping import NOW, add_product, buy, catalog

PAIRS = [(2 * i + 1, 2 * i + 2) for i in range(10)]  # 1 goes with 2, 3 with 4, ...
POPULAR = [31, 32, 33, 34, 35]


class History:
    """Order lines of a generated shop, as the nightly job loads them."""

    def __init__(self) -> None:
        self.rows: list[tuple[int, int, float, int, int]] = []
        self.orders = 0

    def order(self, customer: int, products: list[int], days_ago: float) -> None:
        self.orders += 1
        at = NOW.timestamp() - days_ago * DAY
        self.rows += [(customer, p, at, 1, self.orders) for p in products]

    def lines(self) -> Lines:
        return Lines.from_rows(np.array(self.rows, dtype=np.float64))


def planted(rng: random.Random, returning: int = 300) -> History:
    """Customers who buy one of a pair come back for its partner; everyone buys popular things."""
    h = History()
    for c in range(1, 601):  # the training signal: pairs bought together, with a popular item
        pair = list(rng.choice(PAIRS))
        h.order(c, [*pair, rng.choice(POPULAR)], rng.uniform(61, 400))
    for c in range(1000, 1000 + returning):
        first, second = rng.choice(PAIRS)
        h.order(c, [first, rng.choice(POPULAR)], rng.uniform(61, 300))
        h.order(c, [second], rng.uniform(1, 59))
    return h


def unsignalled(rng: random.Random) -> History:
    """Every basket is drawn from the same popularity, whoever buys it and whatever else."""
    weights = [1 / (r + 1) for r in range(40)]
    h = History()
    for c in range(1, 1201):
        for _ in range(rng.randint(1, 3)):
            basket = set(rng.choices(range(1, 41), weights, k=rng.randint(1, 3)))
            h.order(c, sorted(basket), rng.uniform(1, 400))
    return h


def no_categories(h: Lines) -> list[str | None]:
    return [None] * h.n_products


def test_planted_pairs_win_the_backtest_and_are_served():
    h = planted(random.Random(1)).lines()

    result = backtest(h, ModelSettings(), no_categories(h), "order")

    model, knn, base = (result.results[m] for m in ("co_purchase", "item_knn", "bestsellers"))
    assert result.cases == 300
    assert model.hit_rate > 0.9 > base.hit_rate
    assert result.versus("co_purchase").low > 0
    assert knn.hit_rate > base.hit_rate  # the outside item-kNN sees the pairs too
    assert 0 < model.precision <= model.hit_rate
    assert 0 < model.recall <= 1 and 0 < model.coverage <= 1
    assert recs_choice.serves(result) == "co_purchase"


def test_without_a_signal_bestsellers_are_served_and_the_merchant_is_told_why():
    h = unsignalled(random.Random(2)).lines()
    cross_sell = backtest(h, ModelSettings(), no_categories(h), "order")
    win_back = backtest(h, ModelSettings(), no_categories(h), "customer")

    evidence = recs_choice.decide(cross_sell, win_back, NOW)

    assert cross_sell.cases >= recs_choice.MIN_CASES
    assert cross_sell.versus("co_purchase").low <= 0
    assert (evidence.method, evidence.winback_method) == ("bestsellers", "bestsellers")
    sentence = recs_choice.evidence_sentence(evidence, "en")
    assert sentence.startswith("Product suggestions are your bestsellers: on your shop's last 60")
    assert "were not bought more often" in sentence
    assert f"of {cross_sell.cases} returning customers" in sentence


def test_too_few_test_customers_serve_bestsellers_even_when_the_model_looks_better():
    h = planted(random.Random(3), returning=40).lines()
    result = backtest(h, ModelSettings(), no_categories(h), "order")

    evidence = recs_choice.decide(result, result, NOW)

    assert result.cases == 40 and result.results["co_purchase"].hit_rate > 0.9
    assert evidence.method == "bestsellers"
    assert recs_choice.evidence_sentence(evidence, "en") == (
        "Product suggestions are your bestsellers: your last 60 days had 40 returning "
        "customers to test smarter picks on, and a fair test needs 100."
    )


def test_the_merchant_page_sentence_speaks_pl_ro_and_en():
    evidence = RecommendationEvidence(
        method="co_purchase",
        cases=812,
        model_hit_permille=476,
        baseline_hit_permille=425,
        test_days=60,
        decided_at=NOW.isoformat(),
    )

    en, pl, ro = (recs_choice.evidence_sentence(evidence, loc) for loc in ("en", "pl", "ro"))

    assert "these picks were bought 12 % more often than bestsellers (47.6 % against 42.5 %" in en
    assert "kupowane o 12 % częściej niż bestsellery (47,6 % wobec 42,5 %" in pl
    assert "cumpărate cu 12 % mai des decât cele mai vândute (47,6 % față de 42,5 %" in ro
    untested = RecommendationEvidence()
    assert "until the nightly test" in recs_choice.evidence_sentence(untested, "en")


def grocery(shop_id: int, customers: int, rng: random.Random) -> None:
    """A small shop through real order events. Half the customers are long known: one of a
    pair with something popular, later its partner, some with coffee (a staple) both times.
    The other half ordered once before the last 60 days and come back for the partner."""
    catalog(shop_id, 12)
    add_product(shop_id, "20", category="Coffee")
    for c in range(customers):
        first, second = rng.choice([("1", "2"), ("3", "4"), ("5", "6")])
        coffee = ["20"] if c % 2 == 0 and rng.random() < 0.3 else []
        extra = rng.choice(["7", "8", "9"])
        if c % 2 == 0:
            buy(shop_id, f"c{c}", [first, extra, *coffee], days_ago=rng.uniform(150, 400))
            if rng.random() < 0.8:
                buy(shop_id, f"c{c}", [second, *coffee], days_ago=rng.uniform(62, 149))
        else:
            buy(shop_id, f"c{c}", [first, extra], days_ago=rng.uniform(62, 200))
            if rng.random() < 0.8:
                buy(shop_id, f"c{c}", [second], days_ago=rng.uniform(1, 59))


def test_the_backtest_ranks_exactly_as_the_emails_do(shop):
    grocery(shop.id, 60, random.Random(4))
    db.session.commit()
    refresh_recommendations(shop.id, now=NOW)
    shop.recommendation_evidence = RecommendationEvidence(
        method="co_purchase", winback_method="co_purchase", decided_at=NOW.isoformat()
    )
    db.session.commit()
    lines = load_lines(shop.id)
    learned = learn(lines, ModelSettings(), categories(shop.id, lines))
    last_orders = dict(
        db.session.execute(
            ShopScope(shop.id)
            .select(Order)
            .with_only_columns(Order.customer_id, sa.func.max(Order.id))
            .group_by(Order.customer_id)
        ).all()
    )
    customers = np.array(sorted(last_orders), dtype=np.int64)

    for variant, live in (
        ("order", _live_order(shop.id, last_orders)),
        ("customer", _live_customer(shop.id)),
    ):
        found = cases(lines, customers, variant)
        for part, top, valid in ranked(learned, found, "co_purchase"):
            for customer, picks, shown in zip(customers[part], top, valid, strict=True):
                expected = lines.product_ids[picks[shown]].tolist()
                assert live(int(customer)) == expected, (variant, customer)
    assert learned.pairs["co_purchase"].nnz > 0 and learned.staple_score.max() > 0


def _live_order(shop_id, last_orders):
    return lambda c: [s.product_id for s in recommend_for_order(shop_id, last_orders[c], limit=5)]


def _live_customer(shop_id):
    return lambda c: [s.product_id for s in recommend_for_customer(shop_id, c, limit=5)]


def test_nightly_refresh_serves_what_the_shop_evidence_supports(shop, make_shop):
    rng = random.Random(5)
    grocery(shop.id, 320, rng)
    small = make_shop(domain="small.example")
    grocery(small.id, 20, rng)
    db.session.commit()

    refresh_recommendations(shop.id, now=NOW)
    refresh_recommendations(small.id, now=NOW)

    evidence = db.session.get(Shop, shop.id).recommendation_evidence
    assert evidence.cases >= recs_choice.MIN_CASES
    assert evidence.method == "co_purchase", evidence
    assert evidence.diff_low_permille > 0
    assert recommend_for_order(shop.id, _first_order(shop.id))[0].source == "co_purchase"
    small_evidence = db.session.get(Shop, small.id).recommendation_evidence
    assert (small_evidence.method, small_evidence.decided_at) == ("bestsellers", NOW.isoformat())
    assert small_evidence.cases < recs_choice.MIN_CASES
    sources = {s.source for s in recommend_for_order(small.id, _first_order(small.id))}
    assert sources and sources <= {"bestseller", "repurchase"}


def _first_order(shop_id: int) -> int:
    return ShopScope(shop_id).first(Order, Order.platform_order_id.like("c1-%")).id


def test_eval_command_prints_each_email_and_the_idle_rules(shop, app):
    grocery(shop.id, 30, random.Random(6))
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["storeflow", "eval-recs", "--shop", str(shop.id)])

    assert result.exit_code == 0, result.output
    out = result.output
    assert "cross-sell (recommend_for_order): last 60 days" in out
    assert "win-back (recommend_for_customer): last 60 days" in out
    for row in ("co-purchase", "item-kNN (implicit)", "bestsellers", "own rhythm, at least 90"):
        assert row in out


def test_eval_of_an_unknown_shop_says_so(app):
    result = app.test_cli_runner().invoke(args=["storeflow", "eval-recs", "--shop", "999"])

    assert result.exit_code == 2
    assert "no shop with id 999" in result.output


@pytest.mark.parametrize(
    ("locale", "heading", "sentence"),
    [
        ("en", "Product suggestions in emails", "bought 12 % more often than bestsellers"),
        ("pl", "Polecane produkty w e-mailach", "kupowane o 12 % częściej niż bestsellery"),
        ("ro", "Produse recomandate în e-mailuri", "cumpărate cu 12 % mai des decât"),
    ],
)
def test_the_merchant_page_says_which_suggestions_are_served_and_why(
    merchant, make_shop, locale, heading, sentence
):
    shop = make_shop(locale=locale)
    shop.recommendation_evidence = RecommendationEvidence(
        method="co_purchase",
        cases=812,
        model_hit_permille=476,
        baseline_hit_permille=425,
        test_days=60,
        decided_at=NOW.isoformat(),
    )
    db.session.commit()

    page = merchant(shop).get("/embedded/store").get_data(as_text=True)

    assert 'id="suggestions"' in page and f'lang="{locale}"' in page
    assert heading in page and sentence in page
    assert 'data-serves="co_purchase"' in page
