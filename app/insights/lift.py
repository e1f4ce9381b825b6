"""How many more orders a flow brought than its holdout group says would have come anyway,
and how sure we can be of it.

The messaged group converted ``c1`` of ``n1`` runs, the holdout (no messages) ``c0`` of ``n0``.
Extra orders = c1 - n1*(c0/n0). Confidence from a two-proportion z-test on the difference of
the rates (pooled standard error), two-sided: p < 0.01 "very sure", p < 0.05 "fairly sure",
otherwise "too early to tell" (also while either group is too small for the normal
approximation: fewer than ``MIN_GROUP`` runs, or fewer than 5 conversions in all).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MIN_GROUP = 30


@dataclass(frozen=True)
class Lift:
    extra_orders: int  # rounded; negative when the emails did worse than silence
    verdict: str  # "very_sure" | "fairly_sure" | "too_early"
    p_value: float | None


def _normal_two_sided_p(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2))


def lift(enrolled: int, conversions: int, holdout_enrolled: int, holdout_conversions: int) -> Lift:
    if enrolled <= 0 or holdout_enrolled <= 0:
        return Lift(0, "too_early", None)
    base = holdout_conversions / holdout_enrolled
    extra = round(conversions - enrolled * base)
    total = conversions + holdout_conversions
    if min(enrolled, holdout_enrolled) < MIN_GROUP or total < 5:
        return Lift(extra, "too_early", None)
    pooled = total / (enrolled + holdout_enrolled)
    se = math.sqrt(pooled * (1 - pooled) * (1 / enrolled + 1 / holdout_enrolled))
    if se == 0:
        return Lift(extra, "too_early", None)
    p = _normal_two_sided_p((conversions / enrolled - base) / se)
    verdict = "very_sure" if p < 0.01 else "fairly_sure" if p < 0.05 else "too_early"
    return Lift(extra, verdict, p)
