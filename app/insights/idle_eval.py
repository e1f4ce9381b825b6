"""Idle detection measured on the shop's own history: the customer's rhythm against fixed windows.

Stand at a past day (``HORIZON_DAYS`` before the newest order) and ask each rule which of the
customers who bought in the year before are idle; then look at what they did next. A customer
who ordered again within the horizon was a later buyer, one who did not went quiet.
Per rule: how many it flags, its precision (flagged customers who did go quiet), the share of
quiet customers it catches and the share of later buyers it wrongly flags.

The better rule is the one whose caught share most exceeds its wrongly flagged share (Youden's
J), among fixed 60/90/120 days and "own rhythm" (twice the customer's median gap with 3+
orders, never less than the window). With fewer than ``MIN_CASES`` quiet customers or later
buyers nothing is decided and the scan keeps its default rule. A window the merchant saved
stays: then the evidence only decides whether the rhythm extends it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt

from app.insights.history import DAY, median_by
from app.models import Order, ShopScope, db
from app.models.shop_settings import IdleRule
from app.models.sql import epoch_seconds

HORIZON_DAYS = 90
LOOKBACK_DAYS = 365
FIXED_DAYS = (60, 90, 120)
DEFAULT_DAYS = 90
MIN_CASES = 30

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class RuleResult:
    days: int
    rhythm: bool
    flagged: int
    precision: float
    caught: float  # share of the quiet customers it flags
    wrongly_flagged: float  # share of the later buyers it flags

    @property
    def name(self) -> str:
        return f"own rhythm, at least {self.days} days" if self.rhythm else f"{self.days} days"

    @property
    def score(self) -> float:
        return self.caught - self.wrongly_flagged


@dataclass(frozen=True)
class IdleBacktest:
    customers: int
    quiet: int
    later_buyers: int
    rules: list[RuleResult]

    @property
    def enough(self) -> bool:
        return min(self.quiet, self.later_buyers) >= MIN_CASES

    def best(self) -> RuleResult:
        """The best rule; on a tie the fixed window (the simpler rule) wins."""
        return max(self.rules, key=lambda r: (round(r.score, 9), not r.rhythm))


def order_times(shop_id: int) -> tuple[npt.NDArray[np.int64], FloatArray]:
    """(customer id, placed_at epoch seconds) of the shop's live orders of known customers."""
    rows = db.session.execute(
        ShopScope(shop_id)
        .select(Order, Order.cancelled.is_(False), Order.customer_id.is_not(None))
        .with_only_columns(Order.customer_id, epoch_seconds(Order.placed_at))
    ).all()
    data = np.array(rows, dtype=np.float64).reshape(-1, 2)
    return data[:, 0].astype(np.int64), data[:, 1]


def idle_backtest(
    customer: npt.NDArray[np.int64], at: FloatArray, merchant_days: int | None = None
) -> IdleBacktest:
    if at.size == 0:
        return IdleBacktest(0, 0, 0, [])
    stand = at.max() - HORIZON_DAYS * DAY
    before = at < stand
    known = np.unique(customer[before])
    later = np.isin(known, customer[~before])
    last = np.full(known.size, -np.inf)
    np.maximum.at(last, np.searchsorted(known, customer[before]), at[before])
    idle_for = (stand - last) / DAY
    rhythm_days = 2 * _median_gap_days(known, customer[before], at[before])
    recent = idle_for <= LOOKBACK_DAYS
    later, idle_for, rhythm_days = later[recent], idle_for[recent], rhythm_days[recent]
    windows = (merchant_days,) if merchant_days else FIXED_DAYS
    rules = [_measure(d, False, idle_for > d, later) for d in windows]
    base = merchant_days or DEFAULT_DAYS
    allowed = np.fmax(rhythm_days, base)  # fmax: no rhythm (NaN) means the window
    rules.append(_measure(base, True, idle_for > allowed, later))
    return IdleBacktest(int(recent.sum()), int((~later).sum()), int(later.sum()), rules)


def choose(result: IdleBacktest, now: datetime, merchant_days: int | None = None) -> IdleRule:
    """The rule the scan uses; the default (the window, with the rhythm) without evidence."""
    if not result.enough:
        return IdleRule(days=merchant_days or DEFAULT_DAYS, rhythm=True, decided_at=None)
    best = result.best()
    return IdleRule(days=best.days, rhythm=best.rhythm, decided_at=now.isoformat())


def _median_gap_days(
    known: npt.NDArray[np.int64], customer: npt.NDArray[np.int64], at: FloatArray
) -> FloatArray:
    """Each known customer's median days between orders, NaN with fewer than 3 orders."""
    o = np.lexsort((at, customer))
    customer, at = customer[o], at[o]
    same = customer[1:] == customer[:-1]
    gaps = (at[1:] - at[:-1])[same] / DAY
    row = np.searchsorted(known, customer[1:][same])
    median = median_by(row, gaps, known.size)
    orders = np.bincount(np.searchsorted(known, customer), minlength=known.size)
    return np.where(orders >= 3, median, np.nan)


def _measure(
    days: int, rhythm: bool, flagged: npt.NDArray[np.bool_], later: npt.NDArray[np.bool_]
) -> RuleResult:
    quiet = ~later
    hit = flagged & quiet
    return RuleResult(
        days=days,
        rhythm=rhythm,
        flagged=int(flagged.sum()),
        precision=float(hit.sum() / max(flagged.sum(), 1)),
        caught=float(hit.sum() / max(quiet.sum(), 1)),
        wrongly_flagged=float((flagged & later).sum() / max(later.sum(), 1)),
    )


def format_table(result: IdleBacktest) -> str:
    head = (
        f"idle rules: {result.customers} customers, {result.quiet} went quiet, "
        f"{result.later_buyers} bought again within {HORIZON_DAYS} days"
    )
    lines = [
        head,
        f"{'rule':<30}{'flagged':>9}{'precision':>11}{'caught':>9}{'wrongly flagged':>17}",
    ]
    for r in result.rules:
        lines.append(
            f"{r.name:<30}{r.flagged:>9}{r.precision:>11.1%}{r.caught:>9.1%}{r.wrongly_flagged:>17.1%}"
        )
    return "\n".join(lines)
