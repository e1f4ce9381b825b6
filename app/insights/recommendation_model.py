"""The job that learns a shop's recommendations from its orders and stores them.

Runs nightly (``app/pipeline/cron.py``) and after large order syncs (``refresh_after_sync``).
Reads the shop's order lines once (``history.load_lines``) and its known customers' product
views (``viewing.load_views``), learns from them the co-purchase pairs, the view -> purchase
pairs (stored as ``view_purchase``, served only where the backtest says so), the bestsellers
of the shop's last order days and the products customers buy again, runs the backtest of each
email to choose what to serve (``recs_choice``) and the idle backtest to choose the scan's rule
(``idle_eval``), and replaces the shop's stored rows and choices in one transaction.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import numpy as np
import sqlalchemy as sa
from rq import Retry

from app.insights import copurchase, idle_eval, recs_choice, recs_eval
from app.insights.history import (
    Lines,
    analyze_imported_tables,
    bestsellers,
    load_lines,
    repurchase,
)
from app.insights.idle import merchant_idle_days
from app.insights.knobs import ModelSettings
from app.insights.viewing import Views, load_views
from app.logs import fields as log_fields
from app.models import Recommendation, Shop, ShopScope, db, utcnow
from app.pipeline import queues

log = logging.getLogger(__name__)

# An order sync importing at least this many orders changes the model enough to relearn now.
LARGE_SYNC_ORDERS = 500
SOURCES = ("co_purchase", "view_purchase", "bestseller", "repurchase")


def copurchase_rows(lines: Lines, settings: ModelSettings) -> list[dict[str, Any]]:
    pairs = copurchase.fit(
        lines.basket,
        lines.product,
        min_support=settings.min_support,
        per_product=settings.per_product,
    )
    return pair_rows(lines, pairs, "co_purchase")


def view_purchase_rows(lines: Lines, views: Views, settings: ModelSettings) -> list[dict[str, Any]]:
    """What the viewers of each product bought (``product_id`` is the viewed product)."""
    known = lines.where(lines.basket > 0)
    pairs = copurchase.fit_view_purchase(
        views.customer,
        views.product,
        known.basket,
        known.product,
        lines.n_products,
        min_support=settings.min_support,
        per_product=settings.per_product,
    )
    return pair_rows(lines, pairs, "view_purchase")


def pair_rows(lines: Lines, pairs: copurchase.Pairs, source: str) -> list[dict[str, Any]]:
    ids = lines.product_ids
    return [
        {
            "product_id": int(pid),
            "recommended_product_id": int(rid),
            "source": source,
            "score": float(score),
            "support": int(support),
            "rank": int(rank),
        }
        for pid, rid, score, support, rank in zip(
            ids[pairs.product].tolist(),
            ids[pairs.partner].tolist(),
            pairs.score.tolist(),
            pairs.support.tolist(),
            pairs.rank.tolist(),
            strict=True,
        )
    ]


def bestseller_rows(lines: Lines) -> list[dict[str, Any]]:
    """Bestsellers of the shop's last order days by units sold; support counts their buyers."""
    best = bestsellers(lines)
    return [
        {
            "product_id": None,
            "recommended_product_id": int(lines.product_ids[p]),
            "source": "bestseller",
            "score": float(units),
            "support": int(buyers),
            "rank": rank,
        }
        for rank, (p, units, buyers) in enumerate(
            zip(best.product.tolist(), best.units.tolist(), best.buyers.tolist(), strict=True),
            start=1,
        )
    ]


def repurchase_rows(lines: Lines) -> list[dict[str, Any]]:
    """The staples: a row per product customers come back for (``product_id`` is itself),
    scored by the share of its buyers who bought it again; ``rank`` is the median number of
    days between two purchases of it (what the replenishment flow waits)."""
    rep = repurchase(lines)
    return [
        {
            "product_id": int(lines.product_ids[p]),
            "recommended_product_id": int(lines.product_ids[p]),
            "source": "repurchase",
            "score": float(rep.share[p]),
            "support": int(rep.repeaters[p]),
            "rank": max(1, round(rep.interval_days[p])),
        }
        for p in np.flatnonzero(rep.staple).tolist()
    ]


@queues.job("sync", timeout=1800, retry=Retry(max=2, interval=[60, 600]))
def refresh_recommendations(
    shop_id: int, now: datetime | None = None, analyze: bool = False
) -> dict[str, int]:
    """Relearn and replace the shop's stored recommendations and choices. Safe to run twice.

    ``analyze``: a bulk import or backfill just loaded the shop's history; refresh the
    planner's statistics before reading it.
    """
    now = now or utcnow()
    shop = db.session.get(Shop, shop_id)
    if shop is None or shop.status not in ("active", "installing"):
        return dict.fromkeys(SOURCES, 0)
    if analyze:
        analyze_imported_tables()
    settings = ModelSettings.for_shop(shop)
    lines = load_lines(shop_id)
    views = load_views(shop_id, lines)
    rows = (
        copurchase_rows(lines, settings)
        + view_purchase_rows(lines, views, settings)
        + bestseller_rows(lines)
        + repurchase_rows(lines)
    )
    evidence = _evidence(shop_id, lines, views, settings, now)
    idle_rule = _idle_rule(shop_id, now)
    # The shop row lock keeps two refreshes of one shop from interleaving delete and insert.
    shop = db.session.get(Shop, shop_id, with_for_update=True, populate_existing=True)
    assert shop is not None
    db.session.execute(ShopScope(shop_id).delete(Recommendation))
    if rows:
        db.session.execute(
            sa.insert(Recommendation), [{**r, "shop_id": shop_id, "computed_at": now} for r in rows]
        )
    shop.recommendation_evidence = evidence
    shop.idle_rule = idle_rule
    db.session.commit()
    counts = {s: sum(r["source"] == s for r in rows) for s in SOURCES}
    log.info(
        "recommendations refreshed",
        extra=log_fields(
            {
                "shop": shop_id,
                **counts,
                "serves": evidence.method,
                "test_cases": evidence.cases,
                "idle_days": idle_rule.days,
                "idle_rhythm": idle_rule.rhythm,
            }
        ),
    )
    return counts


def _evidence(
    shop_id: int, lines: Lines, views: Views, settings: ModelSettings, now: datetime
) -> Any:
    categories = recs_eval.categories(shop_id, lines)
    days = recs_eval.TEST_DAYS
    cross_sell = recs_eval.backtest(lines, settings, categories, "order", days, views)
    win_back = recs_eval.backtest(lines, settings, categories, "customer", days, views)
    return recs_choice.decide(cross_sell, win_back, now)


def _idle_rule(shop_id: int, now: datetime) -> Any:
    merchant_days = merchant_idle_days(shop_id)
    customers, at = idle_eval.order_times(shop_id)
    return idle_eval.choose(
        idle_eval.idle_backtest(customers, at, merchant_days), now, merchant_days
    )


def refresh_after_sync(shop_id: int, orders_imported: int) -> bool:
    """Call from an order sync or history import before its commit: relearn now (refreshing
    the planner's statistics first) if the sync was large."""
    if orders_imported < LARGE_SYNC_ORDERS:
        return False
    queues.enqueue_after_commit(
        db.session(),
        refresh_recommendations,
        shop_id,
        None,  # now
        True,  # analyze
        job_id=f"recs-refresh-{shop_id}",
    )
    return True


@queues.job("sync", timeout=300, retry=Retry(max=2, interval=[60, 600]))
def nightly_recommendations() -> int:
    """Enqueue one refresh per installed shop (run by ``rq cron``)."""
    shop_ids = db.session.scalars(sa.select(Shop.id).where(Shop.status == "active")).all()
    for shop_id in shop_ids:
        queues.enqueue(refresh_recommendations, shop_id, job_id=f"recs-refresh-{shop_id}")
    return len(shop_ids)
