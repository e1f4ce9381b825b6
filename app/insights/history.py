"""A shop's order lines as arrays, and what they teach before any model: bestsellers and staples.

Loaded once per nightly refresh (one set-based query) and shared by everything learned from
it — the co-purchase pairs, the bestsellers, the repurchase intervals and the backtest — so the
backtest trains on exactly the code that serves the emails.

Time is relative to the shop's own data, never to the wall clock: bestsellers are the products
of the last ``BESTSELLER_DAYS`` days *that have orders*, so an imported history whose newest order
is a year old, or a quiet shop that sells twice a week, still has bestsellers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa

from app.models import Order, OrderLine, Product, ShopScope, db
from app.models.sql import epoch_seconds

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
DAY = 86400.0
BESTSELLER_DAYS = 30
BESTSELLERS_KEPT = 50
# A product is a staple when at least this many customers bought it in two or more orders and
# they are at least this share of its buyers.
STAPLE_REPEATERS = 3
STAPLE_SHARE = 0.2
# Tables a bulk import or backfill fills; ANALYZE them before the heavy queries read them.
IMPORTED_TABLES = ("orders", "order_lines", "customers", "products")


def basket_column() -> sa.ColumnElement[int]:
    """A customer's orders form one basket; a guest order is a basket of its own."""
    return sa.case((Order.customer_id.is_(None), -Order.id), else_=Order.customer_id)


def purchases(shop_id: int) -> sa.Select[int, int, datetime, int, int]:
    """(basket, product id, placed_at, quantity, order id) of the shop's live order lines."""
    return (
        ShopScope(shop_id)
        .select(OrderLine)
        .join(Order, sa.and_(Order.shop_id == OrderLine.shop_id, Order.id == OrderLine.order_id))
        .join(
            Product,
            sa.and_(
                Product.shop_id == OrderLine.shop_id,
                Product.platform_product_id == OrderLine.platform_product_id,
            ),
        )
        .where(Order.cancelled.is_(False))
        .with_only_columns(
            basket_column().label("basket"),
            Product.id.label("product_id"),
            OrderLine.placed_at,
            OrderLine.quantity,
            OrderLine.order_id,
        )
    )


@dataclass(frozen=True)
class Lines:
    """Parallel arrays, one entry per live order line; ``product`` indexes ``product_ids``."""

    basket: IntArray  # customer id, or -order id for a guest order
    product: IntArray
    at: FloatArray  # epoch seconds
    quantity: FloatArray
    order: IntArray
    product_ids: IntArray  # our product id of each index, ascending

    @property
    def n_products(self) -> int:
        return int(self.product_ids.size)

    def where(self, mask: npt.NDArray[np.bool_]) -> Lines:
        """The lines under ``mask``, with the same product indexes."""
        return Lines(
            self.basket[mask],
            self.product[mask],
            self.at[mask],
            self.quantity[mask],
            self.order[mask],
            self.product_ids,
        )

    @classmethod
    def from_rows(cls, rows: np.ndarray) -> Lines:
        """Columns: basket, product id, placed_at (epoch s), quantity, order id."""
        rows = np.asarray(rows, dtype=np.float64).reshape(-1, 5)
        product_ids, product = np.unique(rows[:, 1].astype(np.int64), return_inverse=True)
        return cls(
            rows[:, 0].astype(np.int64),
            product.astype(np.int64),
            rows[:, 2],
            rows[:, 3],
            rows[:, 4].astype(np.int64),
            product_ids.astype(np.int64),
        )


def load_lines(shop_id: int, newest: int | None = None) -> Lines:
    """The shop's live order lines (only the ``newest`` ones when given)."""
    lines = purchases(shop_id).subquery()
    stmt = sa.select(
        lines.c.basket,
        lines.c.product_id,
        epoch_seconds(lines.c.placed_at),
        lines.c.quantity,
        lines.c.order_id,
    )
    if newest is not None:
        stmt = stmt.order_by(lines.c.placed_at.desc()).limit(newest)
    return Lines.from_rows(np.array(db.session.execute(stmt).all(), dtype=np.float64))


def analyze_imported_tables() -> None:
    """Refresh the planner's statistics after a bulk load (PostgreSQL only): with stale ones
    the evaluation query on a freshly imported history took minutes instead of seconds."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for table in IMPORTED_TABLES:
        db.session.execute(sa.text(f"ANALYZE {table}"))


def bestseller_window_start(at: FloatArray) -> float:
    """Start of the last ``BESTSELLER_DAYS`` days that have orders (all history if fewer)."""
    days = np.unique(np.floor(at / DAY))
    if days.size <= BESTSELLER_DAYS:
        return -np.inf
    return float(days[-BESTSELLER_DAYS] * DAY)


@dataclass(frozen=True)
class Bestsellers:
    """The kept bestsellers, best first: product indexes, units sold, buyers."""

    product: IntArray
    units: FloatArray
    buyers: IntArray

    def scores(self, n_products: int) -> FloatArray:
        """Per product: (0, 1) for the kept bestsellers, higher is better; 0 otherwise."""
        score = np.zeros(n_products)
        size = self.product.size
        score[self.product] = np.arange(size, 0, -1) / (size + 1)
        return score


def bestsellers(lines: Lines) -> Bestsellers:
    """By units sold in the shop's last order days; ties go to the lower product id."""
    recent = lines.where(lines.at >= bestseller_window_start(lines.at))
    n = lines.n_products
    units = np.bincount(recent.product, weights=recent.quantity, minlength=n)
    pairs = np.unique(np.stack([recent.product, recent.basket]), axis=1)
    buyers = np.bincount(pairs[0], minlength=n) if pairs.size else np.zeros(n, dtype=np.int64)
    top = np.argsort(-units, kind="stable")[:BESTSELLERS_KEPT]
    top = top[units[top] > 0]
    return Bestsellers(
        top.astype(np.int64), units[top].astype(np.float64), buyers[top].astype(np.int64)
    )


@dataclass(frozen=True)
class Repurchase:
    """Per product index: buyers, customers who bought it in 2+ orders, median days between."""

    buyers: IntArray
    repeaters: IntArray
    interval_days: FloatArray  # NaN where nobody bought it twice

    @property
    def share(self) -> FloatArray:
        return self.repeaters / np.maximum(self.buyers, 1)

    @property
    def staple(self) -> npt.NDArray[np.bool_]:
        """Products people come back for, learned from the orders."""
        return (self.repeaters >= STAPLE_REPEATERS) & (self.share >= STAPLE_SHARE)


def repurchase(lines: Lines) -> Repurchase:
    """Which products customers buy again, and after how long (guests cannot come back)."""
    n = lines.n_products
    known = lines.where(lines.basket > 0)
    empty = np.zeros(n, dtype=np.int64)
    if known.order.size == 0:
        return Repurchase(empty, empty, np.full(n, np.nan))
    o = np.lexsort((known.order, known.product, known.basket))
    basket, product, order, at = known.basket[o], known.product[o], known.order[o], known.at[o]
    # One purchase per (customer, product, order): two lines of one order are one purchase.
    new = np.ones(o.size, dtype=bool)
    new[1:] = _changed(basket, product) | (order[1:] != order[:-1])
    basket, product, at = basket[new], product[new], at[new]
    first = np.ones(basket.size, dtype=bool)
    first[1:] = _changed(basket, product)
    starts = np.flatnonzero(first)
    count = np.diff(np.append(starts, basket.size))
    span = np.maximum.reduceat(at, starts) - np.minimum.reduceat(at, starts)
    buyers = np.bincount(product[starts], minlength=n)
    again = count >= 2
    gap = span[again] / (count[again] - 1) / DAY
    repeat_product = product[starts][again]
    return Repurchase(
        buyers.astype(np.int64),
        np.bincount(repeat_product, minlength=n).astype(np.int64),
        median_by(repeat_product, gap, n),
    )


def _changed(basket: IntArray, product: IntArray) -> npt.NDArray[np.bool_]:
    return (basket[1:] != basket[:-1]) | (product[1:] != product[:-1])


def median_by(group: IntArray, value: FloatArray, n: int) -> FloatArray:
    """The median ``value`` of each group 0..n-1 (NaN for an empty group)."""
    result = np.full(n, np.nan)
    if group.size == 0:
        return result
    o = np.lexsort((value, group))
    group, value = group[o], value[o]
    ids, starts, counts = np.unique(group, return_index=True, return_counts=True)
    result[ids] = (value[starts + (counts - 1) // 2] + value[starts + counts // 2]) / 2
    return result
