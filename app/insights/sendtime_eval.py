"""The backtest of best send time on a shop's own history: would customers have been about
within an hour of the best-time send more often than within an hour of the fixed-delay one?

An honest time split: the cutoff is ``test_days`` before the shop's newest sent email.
Preferred hours are learned from the opens, clicks and orders before it, with the very statement
the nightly job runs (``send_time.preferred_hours_query``; the shop's hour for a customer
with nothing before the cutoff). Each marketing email sent after the cutoff to a known customer is
a test case, unless the engine already sent it at the customer's hour (``meta.best_time``:
its fixed time is not known; its opens still count as the customer's activity):

- fixed delay: when it was actually sent (``sent_at``);
- best time: the next start of the customer's hour at or after that (``send_time.next_in_hour``,
  what the engine does), when it comes within ``window_hours``; else the same time.

What counts is the customer's other opens and clicks after the cutoff — not this email's own:
it was opened after the time we happened to send it, which would favour the fixed time by
construction. An open or click is "within an hour" of a send when its local time of day is at
most 60 minutes from the send's (either side, midnight wrapping round). A case whose customer
has no other open or click after the cutoff says nothing and is left out (and counted).

Printed: per send time, the cases, the opens/clicks compared and how many fell within an hour
(the share is of those opens/clicks); then the paired difference best minus fixed of each
case's share, with a 95 % normal interval (``recs_eval.paired``). Quiet hours and the
frequency cap are left out: this measures the hour chosen, on sends that already kept them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import sqlalchemy as sa

from app.insights.recs_eval import FloatArray, Paired, paired
from app.insights.send_time import (
    LOOKBACK,
    activity_times,
    next_in_hour,
    preferred_hours_query,
    shop_histogram,
    shop_hour,
)
from app.models import Message, Shop, ShopScope, db

TEST_DAYS = 30
WINDOW_HOURS = 24  # the flows' default ``best_time_window_hours``
NEAR_MINUTES = 60
DAY_MINUTES = 24 * 60
SENDS = ("fixed", "best")
LABELS = {"fixed": "fixed delay", "best": "best time"}


@dataclass(frozen=True)
class SendTimeBacktest:
    test_days: int
    cases: int  # test emails whose customer had other opens/clicks after the cutoff
    left_out: int  # test emails whose customer had none
    customers: int
    moved: int  # cases whose best time is not the fixed one
    events: int  # opens/clicks compared, summed over the cases
    within: dict[str, int]  # per send: of those, how many fell within an hour
    shares: dict[str, FloatArray] = field(repr=False, compare=False)

    def versus(self) -> Paired:
        return paired(self.shares["best"], self.shares["fixed"])


@dataclass(frozen=True)
class Activity:
    customer_id: int
    at: datetime
    message_id: int | None


def evaluate_shop(
    shop_id: int, test_days: int = TEST_DAYS, window_hours: int = WINDOW_HOURS
) -> SendTimeBacktest:
    """The backtest of one shop, from its stored messages and orders."""
    shop = db.session.get(Shop, shop_id)
    if shop is None:
        raise LookupError(f"no shop with id {shop_id}")
    sent = db.session.execute(
        ShopScope(shop_id)
        .select(
            Message,
            Message.status == "sent",
            Message.kind == "marketing",
            Message.channel == "email",
            Message.customer_id.is_not(None),
            Message.sent_at.is_not(None),
            # An email already sent at its customer's hour is no fixed-delay send to compare.
            sa.func.coalesce(Message.meta["best_time"].as_boolean(), False).is_(False),
        )
        .with_only_columns(Message.id, Message.customer_id, Message.sent_at)
    ).all()
    emails = [(int(m), int(c), at) for m, c, at in sent if c is not None and at is not None]
    if not emails:
        return backtest([], [], {}, None, shop.zone, test_days, window_hours)
    cutoff: datetime = max(at for _, _, at in emails) - timedelta(days=test_days)
    # Learned from before the cutoff only, by the very statement the nightly job runs.
    zone, since = shop.zone.key, cutoff - LOOKBACK
    prior = shop_histogram(shop_id, zone, since, cutoff)
    learned = db.session.execute(preferred_hours_query(shop_id, zone, prior, since, cutoff)).all()
    hours = {int(customer_id): int(hour) for customer_id, hour, _ in learned}
    later = [
        Activity(int(c), at, int(m))
        for c, at, m in db.session.execute(activity_times(shop_id, cutoff)).all()
        if m is not None
    ]
    tested = [e for e in emails if e[2] >= cutoff]
    return backtest(tested, later, hours, shop_hour(prior), shop.zone, test_days, window_hours)


def backtest(
    emails: list[tuple[int, int, datetime]],
    later: list[Activity],
    hours: dict[int, int],
    fallback: int | None,
    zone: ZoneInfo,
    test_days: int,
    window_hours: int,
) -> SendTimeBacktest:
    """``emails`` (id, customer, sent) after the cutoff, the opens and clicks after it, each
    customer's learned hour and the shop's (for customers with none)."""
    by_customer: dict[int, list[Activity]] = {}
    for a in later:
        by_customer.setdefault(a.customer_id, []).append(a)
    window = timedelta(hours=window_hours)
    shares: dict[str, list[float]] = {s: [] for s in SENDS}
    within = dict.fromkeys(SENDS, 0)
    events = moved = left_out = 0
    customers = set()
    for message_id, customer_id, fixed in emails:
        others = [
            _minute(a.at, zone)
            for a in by_customer.get(customer_id, ())
            if a.message_id != message_id
        ]
        if not others:
            left_out += 1
            continue
        best = _best(fixed, hours.get(customer_id, fallback), zone, window)
        moved += best != fixed
        customers.add(customer_id)
        events += len(others)
        for send, at in (("fixed", fixed), ("best", best)):
            near = sum(_near(_minute(at, zone), m) for m in others)
            within[send] += near
            shares[send].append(near / len(others))
    return SendTimeBacktest(
        test_days,
        len(shares["fixed"]),
        left_out,
        len(customers),
        moved,
        events,
        within,
        {s: np.asarray(v, dtype=np.float64) for s, v in shares.items()},
    )


def _best(fixed: datetime, hour: int | None, zone: ZoneInfo, window: timedelta) -> datetime:
    if hour is None:
        return fixed
    at = next_in_hour(fixed, hour, zone)
    return at if at <= fixed + window else fixed


def _minute(at: datetime, zone: ZoneInfo) -> int:
    local = at.astimezone(zone)
    return local.hour * 60 + local.minute


def _near(a: int, b: int) -> bool:
    gap = abs(a - b) % DAY_MINUTES
    return min(gap, DAY_MINUTES - gap) <= NEAR_MINUTES


def format_table(result: SendTimeBacktest) -> str:
    title = (
        f"best send time vs fixed delay: last {result.test_days} days, {result.cases} test "
        f"emails to {result.customers} customers ({result.moved} moved to their hour; "
        f"{result.left_out} left out: no other opens/clicks)"
    )
    header = f"{'send time':<14}{'emails':>8}{'opens/clicks':>14}{'within 1 h':>12}{'share':>8}"
    lines = [title, header]
    for send in SENDS:
        share = result.within[send] / result.events if result.events else 0.0
        lines.append(
            f"{LABELS[send]:<14}{result.cases:>8}{result.events:>14}"
            f"{result.within[send]:>12}{share:>8.1%}"
        )
    more = result.within["best"] - result.within["fixed"]
    if result.cases:
        p = result.versus()
        lines.append(
            f"best time: {more:+d} opens/clicks within an hour; per email share "
            f"{p.diff:+.1%} (95% CI {p.low:+.1%} to {p.high:+.1%})"
        )
    else:
        lines.append("no test emails with other opens/clicks: nothing to compare")
    return "\n".join(lines)
