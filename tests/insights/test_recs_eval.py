"""The offline evaluation command: last order held out, model vs bestsellers in one table."""

from __future__ import annotations

from app.insights.recs_eval import evaluate_shop
from app.models import db
from tests.support.shopping import buy, catalog

PAIRS = [("1", "2"), ("3", "4"), ("5", "6"), ("7", "8"), ("9", "10"), ("11", "12")]


def paired_history(shop_id: int) -> None:
    """Products come in pairs; the next purchase of a returning customer is the partner."""
    catalog(shop_id, 13)
    for n in range(40):  # one-order customers who bought a pair together: the training signal
        buy(shop_id, f"together{n}", list(PAIRS[n % len(PAIRS)]), days_ago=20)
    for n in range(30):  # a product everyone buys: the bestseller
        buy(shop_id, f"crowd{n}", ["13"], days_ago=5)
    for n in range(24):  # returning customers: first one of a pair, later its partner
        first, second = PAIRS[n % len(PAIRS)]
        buy(shop_id, f"back{n}", [first], days_ago=15)
        buy(shop_id, f"back{n}", [second], days_ago=2)
    db.session.commit()


def test_eval_command_prints_model_and_bestseller_rows(shop, app):
    paired_history(shop.id)

    result = app.test_cli_runner().invoke(args=["storeflow", "eval-recs", "--shop", str(shop.id)])

    assert result.exit_code == 0, result.output
    header, model, baseline = result.output.strip().splitlines()
    assert header.split() == ["method", "customers", "hit", "rate@5", "coverage"]
    assert model.split()[:3] == ["co-purchase", "24", "100.0%"]
    assert baseline.split()[:2] == ["bestsellers", "24"]


def test_co_purchase_beats_bestsellers_on_paired_history(shop):
    paired_history(shop.id)

    model, baseline = evaluate_shop(shop.id)

    assert model.hit_rate == 1.0
    assert baseline.hit_rate < 1.0
    assert model.coverage > baseline.coverage


def test_eval_of_an_unknown_shop_says_so(app):
    result = app.test_cli_runner().invoke(args=["storeflow", "eval-recs", "--shop", "999"])

    assert result.exit_code == 2
    assert "no shop with id 999" in result.output


def test_refresh_command_relearns_a_shop_on_demand(shop, app):
    paired_history(shop.id)

    result = app.test_cli_runner().invoke(
        args=["storeflow", "refresh-recs", "--shop", str(shop.id)]
    )

    assert result.exit_code == 0, result.output
    assert "'co_purchase': 12" in result.output  # six pairs, both directions


def test_refresh_of_an_unknown_shop_says_so(app):
    result = app.test_cli_runner().invoke(args=["storeflow", "refresh-recs", "--shop", "999"])

    assert result.exit_code == 2
    assert "no shop with id 999" in result.output
