"""Offline evaluation: would our recommendations have predicted what customers bought next?

Each customer with two or more orders has their last order held out; the model is learned from
every other order (so nothing it predicts was seen in training), recommends 5 products from
the customer's earlier purchases, and scores a hit when one of them is in the held-out order.
The baseline recommends the bestsellers everyone gets. Coverage is the share of the products
sold that get recommended to anyone: a model that only ever shows the same five products
has poor coverage even when its hit rate looks fine.

Scoring is matrix arithmetic (history x item-similarity), in chunks of customers so memory
stays bounded on large shops. Merchant picks and stock are left out: this measures what the
orders teach, against the past as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa
from scipy import sparse

from app.insights import copurchase
from app.insights.recommendation_model import (
    BESTSELLER_DAYS,
    BESTSELLERS_KEPT,
    ModelSettings,
    purchases,
)
from app.models import Order, Shop, ShopScope, db
from app.models.sql import epoch_seconds

TOP_K = 5
DAY = 86400.0
# Bestsellers only break ties and fill lists: far below any co-purchase score.
FALLBACK_WEIGHT = 1e-6
CHUNK_CELLS = 4_000_000


@dataclass(frozen=True)
class EvalResult:
    method: str
    customers: int
    hit_rate: float
    coverage: float


@dataclass(frozen=True)
class _Split:
    history: sparse.csr_matrix  # test customers x products bought before their last order
    held_out: sparse.csr_matrix  # test customers x products of their last order
    similarity: sparse.csr_matrix
    bestseller: np.ndarray  # per product: > 0 for the kept bestsellers, higher is better


def evaluate_shop(shop_id: int) -> list[EvalResult]:
    shop = db.session.get(Shop, shop_id)
    if shop is None:
        raise LookupError(f"no shop with id {shop_id}")
    rows = db.session.execute(_holdout_query(shop_id)).all()
    return evaluate(np.array(rows, dtype=np.float64).reshape(-1, 5), ModelSettings.for_shop(shop))


def evaluate(rows: np.ndarray, settings: ModelSettings) -> list[EvalResult]:
    """Columns of ``rows``: basket, product id, placed_at (epoch s), quantity, held out (0/1)."""
    split = _split(rows, settings)
    if split is None:
        return [EvalResult(m, 0, 0.0, 0.0) for m in ("co-purchase", "bestsellers")]
    methods: dict[str, Callable[[sparse.csr_matrix], np.ndarray]] = {
        "co-purchase": lambda h: (
            (h @ split.similarity).toarray() + FALLBACK_WEIGHT * split.bestseller
        ),
        "bestsellers": lambda h: np.broadcast_to(split.bestseller, h.shape).copy(),
    }
    return [_score(name, scorer, split) for name, scorer in methods.items()]


def format_table(results: list[EvalResult]) -> str:
    lines = [f"{'method':<14}{'customers':>10}{'hit rate@5':>12}{'coverage':>10}"]
    for r in results:
        lines.append(f"{r.method:<14}{r.customers:>10}{r.hit_rate:>12.1%}{r.coverage:>10.1%}")
    return "\n".join(lines)


def _holdout_query(shop_id: int) -> sa.Select[tuple[int, int, float, int, int]]:
    ranked = (
        ShopScope(shop_id)
        .select(Order, Order.cancelled.is_(False), Order.customer_id.is_not(None))
        .with_only_columns(
            Order.id.label("order_id"),
            sa.func.row_number()
            .over(
                partition_by=Order.customer_id, order_by=(Order.placed_at.desc(), Order.id.desc())
            )
            .label("pos"),
            sa.func.count().over(partition_by=Order.customer_id).label("orders"),
        )
        .subquery()
    )
    lines = purchases(shop_id).subquery()
    held = sa.case((sa.and_(ranked.c.pos == 1, ranked.c.orders >= 2), 1), else_=0)
    return (
        sa.select(
            lines.c.basket,
            lines.c.product_id,
            epoch_seconds(lines.c.placed_at),
            lines.c.quantity,
            held,
        )
        .select_from(lines)
        .outerjoin(ranked, ranked.c.order_id == lines.c.order_id)
    )


def _split(rows: np.ndarray, settings: ModelSettings) -> _Split | None:
    basket, at, qty = rows[:, 0].astype(np.int64), rows[:, 2], rows[:, 3]
    held = rows[:, 4] > 0
    _, product = np.unique(rows[:, 1].astype(np.int64), return_inverse=True)
    n = int(product.max()) + 1 if product.size else 0
    train = ~held
    if not held.any() or not train.any():
        return None
    pairs = copurchase.fit(
        basket[train],
        product[train],
        min_support=settings.min_support,
        per_product=settings.per_product,
    )
    customers = np.unique(basket[held])
    in_test = np.isin(basket, customers)
    row = np.searchsorted(customers, basket)
    return _Split(
        history=copurchase.binary_matrix(
            row[train & in_test], product[train & in_test], (customers.size, n)
        ),
        held_out=copurchase.binary_matrix(row[held], product[held], (customers.size, n)),
        similarity=copurchase.as_matrix(pairs, n),
        bestseller=_bestsellers(product[train], at[train], qty[train], n),
    )


def _bestsellers(product: np.ndarray, at: np.ndarray, qty: np.ndarray, n: int) -> np.ndarray:
    """Units of the last 30 days of training history; only the kept top ones count."""
    recent = at >= at.max() - BESTSELLER_DAYS * DAY
    units = np.bincount(product[recent], weights=qty[recent], minlength=n)
    top = np.argsort(-units, kind="stable")[:BESTSELLERS_KEPT]
    top = top[units[top] > 0]
    score = np.zeros(n)
    score[top] = np.arange(top.size, 0, -1) / (top.size + 1)
    return score


def _chunks(rows: int, cols: int) -> Iterator[slice]:
    step = max(1, CHUNK_CELLS // max(cols, 1))
    for start in range(0, rows, step):
        yield slice(start, min(rows, start + step))


def _score(
    name: str, scorer: Callable[[sparse.csr_matrix], np.ndarray], split: _Split
) -> EvalResult:
    customers, n = split.history.shape
    k = min(TOP_K, n)
    hits = 0
    shown = np.zeros(n, dtype=bool)
    for part in _chunks(customers, n):
        history = split.history[part]
        scores = scorer(history)
        scores[history.toarray() > 0] = -np.inf  # never what they already bought
        scores[scores <= 0] = -np.inf  # nothing to say is not a recommendation
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        valid = np.isfinite(np.take_along_axis(scores, top, axis=1))
        bought = np.take_along_axis(split.held_out[part].toarray() > 0, top, axis=1)
        hits += int((bought & valid).any(axis=1).sum())
        shown[top[valid]] = True
    return EvalResult(name, customers, hits / customers, float(shown.sum()) / n)
