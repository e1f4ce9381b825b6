"""``flask storeflow eval-sendtime``: best send time against the fixed delay, on a time split
of a planted history whose exact counts are worked out by hand below."""

from __future__ import annotations

from datetime import timedelta

from app.insights import sendtime_eval
from tests.conftest import ts
from tests.support.send_times import plant_emails

# Warsaw is UTC+1 throughout (after the 25 October change): 09:00Z is 10:00 local.
TRAINING_DAYS = ("2026-10-27", "2026-10-28", "2026-10-29", "2026-10-30", "2026-10-31", "2026-11-01")
TEST_DAYS = ("2026-11-15", "2026-11-20")  # the newest send is 20 Nov: --days 10 splits at 10 Nov


def _emails(days, opened_at: str, *, click_last: bool = False):
    rows = []
    for n, day in enumerate(days):
        opened = ts(f"{day}T{opened_at}")
        clicked = opened + timedelta(minutes=10) if click_last and n == len(days) - 1 else None
        rows.append((ts(f"{day}T09:00:00"), opened, clicked))
    return rows


def plant_history(shop, make_customer) -> None:
    """Every email went at 10:00 local (the fixed delay).

    - Three evening readers open at 20:00 local, six times before the split. After it each
      gets two emails, opened at 20:00, the second also clicked at 20:10. For the first email
      the others are the second's open and click (2), for the second the first's open (1):
      3 opens/clicks each, none within an hour of 10:00, all within an hour of 20:00.
    - A morning reader opens at 10:30: learned hour 10, so best time is the fixed time; two
      emails after the split, one other open each (2), within an hour of both.
    - One evening reader has a single email after the split and nothing else then: left out.
    """
    for n in range(3):
        evening = make_customer(shop, email=f"evening{n}@example.com")
        plant_emails(evening, _emails(TRAINING_DAYS, "19:00:00"))
        plant_emails(evening, _emails(TEST_DAYS, "19:00:00", click_last=True))
    morning = make_customer(shop, email="morning@example.com")
    plant_emails(morning, _emails(TRAINING_DAYS, "09:30:00"))
    plant_emails(morning, _emails(TEST_DAYS, "09:30:00"))
    once = make_customer(shop, email="once@example.com")
    plant_emails(once, _emails(("2026-11-18",), "19:00:00"))


def test_customers_with_a_strong_evening_hour_are_reached_within_the_hour_by_best_time(
    shop, make_customer, runner
):
    plant_history(shop, make_customer)

    result = runner.invoke(
        args=["storeflow", "eval-sendtime", "--shop", str(shop.id), "--days", "10"]
    )

    assert result.exit_code == 0, result.output
    title, header, fixed, best, summary = result.output.strip().splitlines()
    assert title == (
        "best send time vs fixed delay: last 10 days, 8 test emails to 4 customers "
        "(6 moved to their hour; 1 left out: no other opens/clicks)"
    )
    assert header.split() == ["send", "time", "emails", "opens/clicks", "within", "1", "h", "share"]
    # 8 cases, 3 x 3 + 2 = 11 opens/clicks; fixed: the morning reader's 2; best: all 11.
    assert fixed.split() == ["fixed", "delay", "8", "11", "2", "18.2%"]
    assert best.split() == ["best", "time", "8", "11", "11", "100.0%"]
    # Per email, best minus fixed share: 1 for the six evening emails, 0 for the two morning
    # ones; mean 0.75, sd sqrt(1.5 / 7) = 0.4629, half-width 1.96 * 0.4629 / sqrt(8) = 0.3208.
    assert summary == (
        "best time: +9 opens/clicks within an hour; per email share +75.0% "
        "(95% CI +42.9% to +107.1%)"
    )


def test_backtest_counts_per_email(shop, make_customer):
    plant_history(shop, make_customer)

    result = sendtime_eval.evaluate_shop(shop.id, test_days=10)

    assert (result.cases, result.left_out, result.customers, result.moved) == (8, 1, 4, 6)
    assert result.within == {"fixed": 2, "best": 11} and result.events == 11
    assert sorted(result.shares["best"] - result.shares["fixed"]) == [0, 0, 1, 1, 1, 1, 1, 1]


def test_emails_already_sent_at_the_customers_hour_are_not_compared(shop, make_customer):
    """Their fixed-delay time is not known: they are no case (here a customer whose two emails
    after the split both went at her hour adds nothing, not even a left-out one)."""
    plant_history(shop, make_customer)
    already = make_customer(shop, email="already@example.com")
    plant_emails(already, _emails(TEST_DAYS, "19:00:00"), best_time=True)

    result = sendtime_eval.evaluate_shop(shop.id, test_days=10)

    assert (result.cases, result.left_out, result.customers) == (8, 1, 4)
    assert result.within == {"fixed": 2, "best": 11}


def test_a_window_too_short_for_the_hour_keeps_the_fixed_time(shop, make_customer):
    """20:00 is ten hours after a 10:00 send: a 6-hour window never reaches it."""
    plant_history(shop, make_customer)

    result = sendtime_eval.evaluate_shop(shop.id, test_days=10, window_hours=6)

    assert result.moved == 0
    assert result.within == {"fixed": 2, "best": 2}


def test_shop_without_emails_has_nothing_to_compare(shop, runner):
    result = runner.invoke(args=["storeflow", "eval-sendtime", "--shop", str(shop.id)])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == (
        "no test emails with other opens/clicks: nothing to compare"
    )


def test_unknown_shop_is_refused(app, runner):
    result = runner.invoke(args=["storeflow", "eval-sendtime", "--shop", "999"])
    assert result.exit_code != 0 and "no shop with id 999" in result.output
