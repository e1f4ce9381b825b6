"""A shop's recommendation knobs, kept within bounds, and the one rule for suggesting again.

Both the live recommendations and the backtest ask ``may_suggest_again`` which products a
customer who owns them may be offered again, so the backtest measures what the emails do.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from app.logs import fields as log_fields
from app.models import Shop
from app.models.shop_settings import RecommendationKnobs, ShopSettingsError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelSettings:
    """Per-shop knobs, read from ``shop.recommendation_knobs`` and kept within bounds."""

    min_support: int = 3
    per_product: int = 20
    consumable_categories: tuple[str, ...] = ()
    one_time_categories: tuple[str, ...] = ()

    @classmethod
    def for_shop(cls, shop: Shop | None) -> ModelSettings:
        try:
            knobs = shop.recommendation_knobs if shop else RecommendationKnobs()
        except ShopSettingsError:
            log.warning(
                "bad recommendation settings; using defaults",
                extra=log_fields(shop=shop and shop.id),
            )
            return cls()
        return cls(
            min_support=max(1, knobs.min_support),
            per_product=max(1, knobs.per_product),
            consumable_categories=knobs.consumable_categories,
            one_time_categories=knobs.one_time_categories,
        )

    def may_suggest_again(
        self, categories: Sequence[str | None], staple: npt.NDArray[np.bool_]
    ) -> npt.NDArray[np.bool_]:
        """Per product: may a customer who bought it be offered it again? Yes for a staple the
        orders taught us, or a category the merchant calls consumable; never for a category
        the merchant calls one-time."""
        consumable = set(self.consumable_categories)
        one_time = set(self.one_time_categories)
        forced_yes = np.array([c in consumable for c in categories], dtype=bool)
        forced_no = np.array([c in one_time for c in categories], dtype=bool)
        return (np.asarray(staple, dtype=bool) & ~forced_no) | forced_yes
