"""Idle detection measured on the shop's own history: own rhythm against fixed windows, and
the daily scan using the rule that did better."""

from __future__ import annotations

import random
from datetime import timedelta

import numpy as np

from app.insights import idle_eval
from app.insights.history import DAY
from app.insights.idle import scan_customers
from app.insights.recommendation_model import refresh_recommendations
from app.models import FlowSetting, Shop, ShopScope, db
from app.models.shop_settings import IdleRule
from tests.insights.test_idle import NOW, customer


def history(rows: list[tuple[int, float]]) -> tuple[np.ndarray, np.ndarray]:
    """(customer, days ago) orders as arrays of customer ids and epoch seconds."""
    now = NOW.timestamp()
    return (
        np.array([c for c, _ in rows], dtype=np.int64),
        np.array([now - d * DAY for _, d in rows], dtype=np.float64),
    )


def steady_buyers(rng: random.Random) -> list[tuple[int, float]]:
    """Half the customers buy like clockwork every 150 days (a long silence is their normal),
    half bought a few times close together and then left for good."""
    rows: list[tuple[int, float]] = []
    for c in range(1, 101):
        start = rng.uniform(0, 150)
        rows += [(c, start + 150 * k) for k in range(6)]
    for c in range(101, 201):
        last = rng.uniform(95, 300)
        rows += [(c, last + 10 * k) for k in range(3)]
    return rows


def memoryless_buyers(rng: random.Random) -> list[tuple[int, float]]:
    """Whether a customer comes back has nothing to do with their past gaps."""
    rows: list[tuple[int, float]] = []
    for c in range(1, 401):
        rows += [(c, rng.uniform(0, 500)) for _ in range(rng.randint(1, 4))]
    return rows


def test_own_rhythm_wins_where_customers_keep_a_slow_steady_rhythm():
    result = idle_eval.idle_backtest(*history(steady_buyers(random.Random(1))))

    rules = {r.name: r for r in result.rules}
    rhythm, fixed = rules["own rhythm, at least 90 days"], rules["90 days"]
    assert result.enough
    assert rhythm.wrongly_flagged < fixed.wrongly_flagged
    assert rhythm.precision > fixed.precision
    assert result.best().rhythm
    assert set(rules) == {"60 days", "90 days", "120 days", "own rhythm, at least 90 days"}
    rule = idle_eval.choose(result, NOW)
    assert (rule.rhythm, rule.decided_at) == (True, NOW.isoformat())


def test_a_fixed_window_wins_where_the_rhythm_tells_nothing():
    result = idle_eval.idle_backtest(*history(memoryless_buyers(random.Random(2))))

    best = result.best()

    assert result.enough
    assert not best.rhythm
    assert best.score >= max(r.score for r in result.rules if r.rhythm)


def test_without_enough_history_the_default_rule_stays():
    result = idle_eval.idle_backtest(*history([(1, 10), (2, 200), (2, 100)]))

    assert idle_eval.choose(result, NOW) == IdleRule(days=90, rhythm=True, decided_at=None)


def test_a_window_the_merchant_saved_is_kept_and_only_the_rhythm_is_decided():
    result = idle_eval.idle_backtest(*history(steady_buyers(random.Random(3))), merchant_days=45)

    assert [r.name for r in result.rules] == ["45 days", "own rhythm, at least 45 days"]
    assert idle_eval.choose(result, NOW, merchant_days=45).days == 45


def test_the_daily_scan_uses_the_rule_the_shop_history_chose(shop, idle_events):
    # Every 60 days: past 90 days of silence, but within twice their own rhythm.
    slow = customer(shop.id, "slow", 290, 230, 170, 110)
    lapsed = customer(shop.id, "lapsed", 120)
    shop.idle_rule = IdleRule(days=90, rhythm=False, decided_at=NOW.isoformat())
    db.session.commit()

    scan_customers(shop.id, now=NOW)

    assert {e.customer_id for e in idle_events} == {slow, lapsed}


def test_the_nightly_refresh_stores_the_better_idle_rule(shop, idle_events):
    rng = random.Random(4)
    for c, days in _grouped(memoryless_buyers(rng)[:600]).items():
        customer(shop.id, f"m{c}", *days)
    db.session.commit()

    refresh_recommendations(shop.id, now=NOW)

    rule = db.session.get(Shop, shop.id).idle_rule
    assert rule.decided_at == NOW.isoformat()
    assert rule.rhythm is False and rule.days in (60, 90, 120)


def test_the_merchant_idle_days_win_over_the_evidence(shop, idle_events):
    lapsed = customer(shop.id, "lapsed", 50)
    shop.idle_rule = IdleRule(days=120, rhythm=False, decided_at=NOW.isoformat())
    ShopScope(shop.id).add(FlowSetting(flow_key="reactivation", values={"idle_days": 45}))
    db.session.commit()

    scan_customers(shop.id, now=NOW + timedelta(days=0))

    assert [e.customer_id for e in idle_events] == [lapsed]


def _grouped(rows: list[tuple[int, float]]) -> dict[int, list[float]]:
    grouped: dict[int, list[float]] = {}
    for c, d in rows:
        grouped.setdefault(c, []).append(d)
    return {c: sorted(days, reverse=True) for c, days in grouped.items()}
