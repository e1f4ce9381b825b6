"""The lift over the holdout group in orders, and how sure we are of it (two-proportion test)."""

from __future__ import annotations

from app.insights.lift import lift


def test_a_clear_difference_on_big_groups_is_very_sure():
    # 10% of 2000 messaged bought, against 5% of 400 held out: 100 more orders.
    found = lift(2000, 200, 400, 20)
    assert found.extra_orders == 100
    assert found.verdict == "very_sure" and found.p_value is not None and found.p_value < 0.01


def test_a_modest_difference_is_fairly_sure():
    found = lift(1000, 80, 300, 13)  # 8% against 4.3%: z ≈ 2.2
    assert found.extra_orders == 37
    assert found.verdict == "fairly_sure" and 0.01 <= found.p_value < 0.05


def test_a_difference_within_chance_is_too_early_to_tell():
    found = lift(1000, 52, 300, 14)
    assert found.verdict == "too_early" and found.p_value > 0.05


def test_small_groups_are_too_early_to_tell_whatever_the_rates():
    found = lift(4, 2, 4, 1)
    assert (found.extra_orders, found.verdict, found.p_value) == (1, "too_early", None)


def test_emails_doing_worse_than_silence_show_fewer_orders():
    found = lift(2000, 60, 400, 24)  # 3% against 6%
    assert found.extra_orders == -60 and found.verdict == "very_sure"


def test_no_holdout_runs_cannot_be_compared():
    assert lift(500, 40, 0, 0).verdict == "too_early"
