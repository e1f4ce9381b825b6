"""The job that learns a shop's recommendations from its orders and stores them.

Runs nightly (``app/pipeline/cron.py``) and after large order syncs (``refresh_after_sync``).
Reads the shop's order lines in one set-based query, fits the co-purchase model with
NumPy/SciPy, adds the last 30 days' bestsellers, and replaces the shop's stored rows in one
transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import sqlalchemy as sa
from rq import Retry

from app.insights import copurchase
from app.logs import fields as log_fields
from app.models import Order, OrderLine, Product, Recommendation, Shop, ShopScope, db, utcnow
from app.models.shop_settings import RecommendationKnobs, ShopSettingsError
from app.pipeline import queues

log = logging.getLogger(__name__)

BESTSELLER_DAYS = 30
BESTSELLERS_KEPT = 50
# An order sync importing at least this many orders changes the model enough to relearn now.
LARGE_SYNC_ORDERS = 500


@dataclass(frozen=True)
class ModelSettings:
    """Per-shop knobs, read from ``shop.recommendation_knobs`` and kept within bounds."""

    min_support: int = 3
    per_product: int = 20
    consumable_categories: tuple[str, ...] = ()

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
        )


def basket_column() -> sa.ColumnElement[int]:
    """A customer's orders form one basket; a guest order is a basket of its own."""
    return sa.case((Order.customer_id.is_(None), -Order.id), else_=Order.customer_id)


def purchases(
    shop_id: int, since: datetime | None = None
) -> sa.Select[int, int, datetime, int, int]:
    """(basket, product id, placed_at, quantity, order id) of the shop's live order lines."""
    stmt = (
        ShopScope(shop_id)
        .select(OrderLine)
        .join(Order, Order.id == OrderLine.order_id)
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
    return stmt if since is None else stmt.where(OrderLine.placed_at >= since)


def _copurchase_rows(shop_id: int, settings: ModelSettings) -> list[dict[str, Any]]:
    pairs_stmt = purchases(shop_id).subquery()
    rows = db.session.execute(
        sa.select(pairs_stmt.c.basket, pairs_stmt.c.product_id).distinct()
    ).all()
    if not rows:
        return []
    data = np.array(rows, dtype=np.int64)
    product_ids, product_index = np.unique(data[:, 1], return_inverse=True)
    pairs = copurchase.fit(
        data[:, 0],
        product_index,
        min_support=settings.min_support,
        per_product=settings.per_product,
    )
    return [
        {
            "product_id": int(pid),
            "recommended_product_id": int(rid),
            "source": "co_purchase",
            "score": float(score),
            "support": int(support),
            "rank": int(rank),
        }
        for pid, rid, score, support, rank in zip(
            product_ids[pairs.product].tolist(),
            product_ids[pairs.partner].tolist(),
            pairs.score.tolist(),
            pairs.support.tolist(),
            pairs.rank.tolist(),
            strict=True,
        )
    ]


def bestseller_rows(shop_id: int, now: datetime) -> list[dict[str, Any]]:
    """The last 30 days' bestsellers by units sold; support counts their buyers."""
    recent = purchases(shop_id, since=now - timedelta(days=BESTSELLER_DAYS)).subquery()
    units = sa.func.sum(recent.c.quantity)
    stmt = (
        sa.select(recent.c.product_id, units, sa.func.count(sa.distinct(recent.c.basket)))
        .group_by(recent.c.product_id)
        .order_by(units.desc(), recent.c.product_id)
        .limit(BESTSELLERS_KEPT)
    )
    return [
        {
            "product_id": None,
            "recommended_product_id": product_id,
            "source": "bestseller",
            "score": float(sold),
            "support": int(buyers),
            "rank": rank,
        }
        for rank, (product_id, sold, buyers) in enumerate(db.session.execute(stmt), start=1)
    ]


@queues.job("sync", timeout=1800, retry=Retry(max=2, interval=[60, 600]))
def refresh_recommendations(shop_id: int, now: datetime | None = None) -> dict[str, int]:
    """Relearn and replace the shop's stored recommendations. Safe to run twice."""
    now = now or utcnow()
    shop = db.session.get(Shop, shop_id)
    if shop is None or shop.status not in ("active", "installing"):
        return {"co_purchase": 0, "bestseller": 0}
    settings = ModelSettings.for_shop(shop)
    rows = _copurchase_rows(shop_id, settings) + bestseller_rows(shop_id, now)
    # The shop row lock keeps two refreshes of one shop from interleaving delete and insert.
    db.session.get(Shop, shop_id, with_for_update=True)
    db.session.execute(ShopScope(shop_id).delete(Recommendation))
    if rows:
        db.session.execute(
            sa.insert(Recommendation), [{**r, "shop_id": shop_id, "computed_at": now} for r in rows]
        )
    db.session.commit()
    counts = {
        "co_purchase": sum(r["source"] == "co_purchase" for r in rows),
        "bestseller": sum(r["source"] == "bestseller" for r in rows),
    }
    log.info("recommendations refreshed", extra=log_fields({"shop": shop_id, **counts}))
    return counts


def refresh_after_sync(shop_id: int, orders_imported: int) -> bool:
    """Call from an order sync before its commit: relearn now if the sync was large."""
    if orders_imported < LARGE_SYNC_ORDERS:
        return False
    queues.enqueue_after_commit(
        db.session(), refresh_recommendations, shop_id, job_id=f"recs-refresh-{shop_id}"
    )
    return True


@queues.job("sync", timeout=300, retry=Retry(max=2, interval=[60, 600]))
def nightly_recommendations() -> int:
    """Enqueue one refresh per installed shop (run by ``rq cron``)."""
    shop_ids = db.session.scalars(sa.select(Shop.id).where(Shop.status == "active")).all()
    for shop_id in shop_ids:
        queues.enqueue(refresh_recommendations, shop_id, job_id=f"recs-refresh-{shop_id}")
    return len(shop_ids)
