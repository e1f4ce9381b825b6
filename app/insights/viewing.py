"""What known customers looked at, as arrays beside their order lines, for the recommendation
model's view -> purchase pairs (``copurchase.fit_view_purchase``) and its backtest.

Only views the collector could tie to a customer count (anonymous ones have no purchases to
pair with), only product views, and only of products that appear in the shop's order history
(``Lines.product_ids``): a pair "viewed p, bought q" needs both in the same product index.
The table keeps ``storefront_tracking.retention_days`` of views, so that is what is learned.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa

from app.insights.history import Lines
from app.models import Product, ShopScope, StorefrontEvent, db
from app.models.sql import epoch_seconds

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Views:
    """Parallel arrays, one entry per product view of a known customer; ``product`` indexes
    the order lines' ``product_ids``."""

    customer: IntArray
    product: IntArray
    at: FloatArray  # epoch seconds

    @classmethod
    def none(cls) -> Views:
        empty = np.zeros(0, dtype=np.int64)
        return cls(empty, empty, np.zeros(0))

    def where(self, mask: npt.NDArray[np.bool_]) -> Views:
        return Views(self.customer[mask], self.product[mask], self.at[mask])

    @classmethod
    def from_rows(cls, rows: np.ndarray, product_ids: IntArray) -> Views:
        """Columns: customer id, our product id, occurred_at (epoch s); products outside
        ``product_ids`` are dropped."""
        rows = np.asarray(rows, dtype=np.float64).reshape(-1, 3)
        product = rows[:, 1].astype(np.int64)
        index = np.searchsorted(product_ids, product)
        known = index < product_ids.size
        known[known] = product_ids[index[known]] == product[known]
        return cls(rows[known, 0].astype(np.int64), index[known].astype(np.int64), rows[known, 2])


def load_views(shop_id: int, lines: Lines) -> Views:
    """The shop's stored product views of known customers, on ``lines``' product index."""
    if lines.n_products == 0:
        return Views.none()
    stmt = (
        ShopScope(shop_id)
        .select(StorefrontEvent)
        .join(
            Product,
            sa.and_(
                Product.shop_id == StorefrontEvent.shop_id,
                Product.platform_product_id == StorefrontEvent.product_id,
            ),
        )
        .where(StorefrontEvent.customer_id.is_not(None))
        .where(StorefrontEvent.kind == "product_viewed")
        .with_only_columns(
            StorefrontEvent.customer_id, Product.id, epoch_seconds(StorefrontEvent.occurred_at)
        )
    )
    rows = np.array(db.session.execute(stmt).all(), dtype=np.float64)
    return Views.from_rows(rows, lines.product_ids)


def viewed_products(shop_id: int, customer_id: int) -> list[int]:
    """Our ids of the products the customer looked at (still stored), most recent first."""
    last_seen = sa.func.max(StorefrontEvent.occurred_at)
    stmt = (
        ShopScope(shop_id)
        .select(StorefrontEvent)
        .join(
            Product,
            sa.and_(
                Product.shop_id == StorefrontEvent.shop_id,
                Product.platform_product_id == StorefrontEvent.product_id,
            ),
        )
        .where(StorefrontEvent.customer_id == customer_id)
        .where(StorefrontEvent.kind == "product_viewed")
        .with_only_columns(Product.id)
        .group_by(Product.id)
        .order_by(last_seen.desc(), Product.id)
    )
    return list(db.session.scalars(stmt))
