"""The replenishment scan: consenting customers due to buy a product again.

Each product has a usual gap between two purchases of it: the one the merchant typed on the
flow's page (``product_days``: product id -> days), else the one the nightly model learned
from the shop's orders (``recommendations.repurchase_intervals``: the median gap of the
staples, bought again by enough customers). A customer is due when their own time since
their last purchase of the product has passed that gap; not when it has passed twice the gap
(someone who stopped buying it long ago is the win-back flow's business, not a reminder's).

ONE reminder per purchase cycle: each find is recorded in ``lifecycle_emissions`` under the
product and the time of that last purchase, in the same statement that finds it
(INSERT ... SELECT ... ON CONFLICT DO NOTHING RETURNING), so a rerun finds nobody new and
only a new purchase of the product starts a new cycle. Run daily by ``rq cron``.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from rq import Retry

from app.events import types as events
from app.events.apply import apply
from app.insights.recommendations import repurchase_intervals
from app.logs import fields as log_fields
from app.models import (
    Customer,
    FlowSetting,
    LifecycleEmission,
    Order,
    OrderLine,
    Product,
    Shop,
    ShopScope,
    db,
    utcnow,
)
from app.models.base import UTCDateTime
from app.models.sql import dialect_insert, epoch_seconds
from app.pipeline import queues

log = logging.getLogger(__name__)
FLOW_KEY = "replenishment"
KIND = "replenishment"
DAY = 86400


def _flow_values(shop_id: int) -> dict[str, Any] | None:
    """The flow's stored settings, or None while the shop has the flow off."""
    row = ShopScope(shop_id).first(FlowSetting, FlowSetting.flow_key == FLOW_KEY)
    if row is None or not row.enabled:
        return None
    return dict(row.values or {})


def usual_gaps(shop_id: int, typed: dict[str, Any]) -> dict[str, int]:
    """Platform product id -> days between two purchases: learned, the merchant's on top."""
    learned = repurchase_intervals(shop_id)
    products = ShopScope(shop_id).all(Product, Product.id.in_(list(learned))) if learned else []
    gaps = {p.platform_product_id: int(learned[p.id]) for p in products}
    gaps.update({str(pid): int(days) for pid, days in typed.items()})
    return {pid: days for pid, days in gaps.items() if days > 0}


def replenishment_statement(shop_id: int, gaps: dict[str, int], now: datetime) -> Any:
    """Record each (customer, product) whose purchase cycle ran out, returning them."""
    line, bought = OrderLine, sa.func.max(OrderLine.placed_at)
    last = (
        ShopScope(shop_id)
        .select(line, line.platform_product_id.in_(list(gaps)))
        .join(Order, sa.and_(Order.shop_id == line.shop_id, Order.id == line.order_id))
        .where(Order.cancelled.is_(False), Order.customer_id.is_not(None))
        .with_only_columns(
            Order.customer_id.label("customer_id"),
            line.platform_product_id.label("product_id"),
            bought.label("bought_at"),
        )
        .group_by(Order.customer_id, line.platform_product_id)
        .cte("last_bought")
    )
    gap = sa.case(gaps, value=last.c.product_id) * DAY
    since = now.timestamp() - epoch_seconds(last.c.bought_at)
    cycle = sa.cast(sa.cast(epoch_seconds(last.c.bought_at), sa.BigInteger), sa.String)
    found = (
        sa.select(
            sa.literal(shop_id).label("shop_id"),
            sa.literal(KIND).label("kind"),
            last.c.customer_id,
            (last.c.product_id + "@" + cycle).label("key"),
            sa.literal(now, UTCDateTime()).label("emitted_at"),
        )
        .join(Customer, sa.and_(Customer.shop_id == shop_id, Customer.id == last.c.customer_id))
        .where(
            Customer.shop_id == shop_id,
            Customer.email.is_not(None),
            Customer.email_consent == "granted",
            Customer.redacted_at.is_(None),
            since >= gap,
            since < 2 * gap,
        )
    )
    return (
        dialect_insert(LifecycleEmission)
        .from_select(["shop_id", "kind", "customer_id", "key", "emitted_at"], found)
        .on_conflict_do_nothing()
        .returning(LifecycleEmission.customer_id, LifecycleEmission.key)
    )


def find_due(shop_id: int, now: datetime) -> list[events.ReplenishmentDue]:
    """Record and describe who is due to buy again, one event per customer; caller commits."""
    values = _flow_values(shop_id)
    if values is None:
        return []
    gaps = usual_gaps(shop_id, values.get("product_days") or {})
    if not gaps:
        return []
    rows = db.session.execute(replenishment_statement(shop_id, gaps, now)).all()
    due: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for customer_id, key in rows:
        product_id, _, stamp = str(key).rpartition("@")
        due[customer_id].append((int(stamp), product_id))
    return [
        events.ReplenishmentDue(
            shop_id=shop_id,
            customer_id=customer_id,
            product_ids=tuple(pid for _at, pid in sorted(found)),
            last_bought_at=datetime.fromtimestamp(max(at for at, _pid in found), UTC),
        )
        for customer_id, found in sorted(due.items())
    ]


@queues.job("sync", timeout=1200, retry=Retry(max=2, interval=[60, 600]))
def scan_replenishment(shop_id: int, now: datetime | None = None) -> int:
    """One shop's replenishment scan: report who is due, let the flows react. Safe to rerun."""
    now = now or utcnow()
    # Locking the shop row makes a second scan of the shop wait, then find nobody new.
    shop = db.session.get(Shop, shop_id, with_for_update=True)
    if shop is None or shop.status != "active":
        db.session.rollback()
        return 0
    found = find_due(shop_id, now)
    for event in found:
        apply(event)
    db.session.commit()
    log.info("replenishment scan", extra=log_fields(shop=shop_id, customers=len(found)))
    return len(found)


@queues.job("sync", timeout=300, retry=Retry(max=2, interval=[60, 600]))
def replenishment_scan() -> int:
    """Enqueue the scan of every active shop with the flow on (run daily by ``rq cron``)."""
    shop_ids = db.session.scalars(
        sa.select(Shop.id)
        .join(FlowSetting, FlowSetting.shop_id == Shop.id)
        .where(Shop.status == "active", FlowSetting.flow_key == FLOW_KEY, FlowSetting.enabled)
    ).all()
    day = utcnow().date().isoformat()
    for shop_id in shop_ids:
        queues.enqueue(scan_replenishment, shop_id, job_id=f"replenishment-scan-{shop_id}-{day}")
    return len(shop_ids)
