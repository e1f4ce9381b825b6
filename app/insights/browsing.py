"""The browse scan: known, consenting customers who looked at a product again and again and
went no further.

A product counts for a customer when, within the last ``lookback_hours``, they viewed it at
least ``min_views`` times, their last view of it is at least ``wait_minutes`` old, they started
no cart and placed no order since their first view of it, and it was not reported for them
within ``product_cooldown_days`` (30). The settings are the browse-abandonment flow's.

Like the idle scan, the finding is ONE statement per shop (INSERT ... SELECT ... RETURNING)
that records what it reports in ``browse_emissions``, so a rerun finds nothing new; it reads
only the recent window of ``storefront_events`` through the (shop, occurred_at) index.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from rq import Retry

from app.events import types as events
from app.events.apply import apply
from app.logs import fields as log_fields
from app.models import (
    BrowseEmission,
    Cart,
    Customer,
    FlowSetting,
    Order,
    Shop,
    ShopScope,
    StorefrontEvent,
    db,
    utcnow,
)
from app.models.base import UTCDateTime
from app.pipeline import queues

log = logging.getLogger(__name__)
FLOW_KEY = "browse_abandonment"


@dataclass(frozen=True)
class BrowseSettings:
    min_views: int = 2
    wait_minutes: int = 240
    lookback_hours: int = 72
    product_cooldown_days: int = 30

    @classmethod
    def for_shop(cls, shop_id: int) -> BrowseSettings | None:
        """The flow's settings, or None while the shop has the flow off (nothing to find)."""
        row = ShopScope(shop_id).first(FlowSetting, FlowSetting.flow_key == FLOW_KEY)
        if row is None or not row.enabled:
            return None
        values: dict[str, Any] = row.values or {}
        known = {f.name for f in fields(cls)}
        return cls(**{k: int(v) for k, v in values.items() if k in known})


def cart_time() -> sa.ColumnElement[datetime]:
    """When the cart last changed, on the platform's clock (the views are on the shopper's)."""
    return sa.func.coalesce(Cart.platform_updated_at, Cart.updated_at)


def browse_query(shop_id: int, now: datetime, settings: BrowseSettings) -> sa.Select[Any]:
    """(shop, customer, product, first view, last view, now) of each newly reportable view."""
    scope = ShopScope(shop_id)
    seen = StorefrontEvent
    first_at, last_at = sa.func.min(seen.occurred_at), sa.func.max(seen.occurred_at)
    viewed = (
        scope.select(
            seen,
            seen.occurred_at > now - timedelta(hours=settings.lookback_hours),
            seen.kind == "product_viewed",
            seen.customer_id.is_not(None),
        )
        .with_only_columns(
            seen.customer_id,
            seen.product_id,
            first_at.label("first_at"),
            last_at.label("last_at"),
            sa.func.count().label("views"),
        )
        .group_by(seen.customer_id, seen.product_id)
        .having(
            sa.func.count() >= settings.min_views,
            last_at <= now - timedelta(minutes=settings.wait_minutes),
        )
        .cte("viewed")
    )
    reported = sa.exists().where(
        BrowseEmission.shop_id == shop_id,
        BrowseEmission.customer_id == viewed.c.customer_id,
        BrowseEmission.product_id == viewed.c.product_id,
        BrowseEmission.emitted_at > now - timedelta(days=settings.product_cooldown_days),
    )
    carted = sa.exists().where(
        Cart.shop_id == shop_id,
        Cart.customer_id == viewed.c.customer_id,
        cart_time() >= viewed.c.first_at,
    )
    ordered = sa.exists().where(
        Order.shop_id == shop_id,
        Order.customer_id == viewed.c.customer_id,
        Order.placed_at >= viewed.c.first_at,
    )
    return (
        sa.select(
            sa.literal(shop_id).label("shop_id"),
            viewed.c.customer_id,
            viewed.c.product_id,
            sa.literal(now, UTCDateTime()).label("emitted_at"),
        )
        .select_from(viewed)
        .join(Customer, sa.and_(Customer.shop_id == shop_id, Customer.id == viewed.c.customer_id))
        .where(
            Customer.email_consent == "granted",
            Customer.email.is_not(None),
            Customer.redacted_at.is_(None),
            ~reported,
            ~carted,
            ~ordered,
        )
        .order_by(viewed.c.customer_id, viewed.c.views.desc(), viewed.c.product_id)
    )


def browse_statement(shop_id: int, now: datetime, settings: BrowseSettings) -> sa.Insert:
    columns = ["shop_id", "customer_id", "product_id", "emitted_at"]
    return (
        sa.insert(BrowseEmission)
        .from_select(columns, browse_query(shop_id, now, settings))
        .returning(BrowseEmission.customer_id, BrowseEmission.product_id, BrowseEmission.id)
    )


def _view_times(shop_id: int, found: dict[int, list[str]]) -> dict[int, tuple[datetime, datetime]]:
    """(first, last) view of the reported products, per customer."""
    seen = StorefrontEvent
    pairs = [sa.and_(seen.customer_id == c, seen.product_id.in_(ps)) for c, ps in found.items()]
    rows = db.session.execute(
        ShopScope(shop_id)
        .select(seen, seen.kind == "product_viewed", sa.or_(*pairs))
        .with_only_columns(
            seen.customer_id, sa.func.min(seen.occurred_at), sa.func.max(seen.occurred_at)
        )
        .group_by(seen.customer_id)
    ).all()
    return {c: (first, last) for c, first, last in rows if c is not None}


def find_browsers(shop_id: int, now: datetime) -> list[events.ProductsBrowsed]:
    """Record and describe what the scan found, one event per customer; the caller commits."""
    settings = BrowseSettings.for_shop(shop_id)
    if settings is None:
        return []
    rows = db.session.execute(browse_statement(shop_id, now, settings)).all()
    found: dict[int, list[str]] = defaultdict(list)
    # RETURNING keeps no order: the emission ids follow the SELECT's (most viewed first).
    for customer_id, product_id, _id in sorted(rows, key=lambda r: r[2]):
        found[customer_id].append(product_id)
    if not found:
        return []
    times = _view_times(shop_id, found)
    return [
        events.ProductsBrowsed(
            shop_id=shop_id,
            customer_id=customer_id,
            product_ids=tuple(products),
            first_viewed_at=times[customer_id][0],
            last_viewed_at=times[customer_id][1],
        )
        for customer_id, products in found.items()
    ]


@queues.job("sync", timeout=1200, retry=Retry(max=2, interval=[60, 600]))
def scan_browsing(shop_id: int, now: datetime | None = None) -> int:
    """One shop's browse scan: report the views, let the flows react. Safe to rerun."""
    now = now or utcnow()
    # Locking the shop row makes a second scan of the shop wait, then find nothing new.
    shop = db.session.get(Shop, shop_id, with_for_update=True)
    if shop is None or shop.status != "active":
        db.session.rollback()
        return 0
    found = find_browsers(shop_id, now)
    for event in found:
        apply(event)
    db.session.commit()
    log.info("browse scan", extra=log_fields(shop=shop_id, customers=len(found)))
    return len(found)


@queues.job("sync", timeout=300, retry=Retry(max=2, interval=[60, 600]))
def browse_scan() -> int:
    """Enqueue the browse scan of every active shop with the flow on (run by ``rq cron``)."""
    shop_ids = db.session.scalars(
        sa.select(Shop.id)
        .join(FlowSetting, FlowSetting.shop_id == Shop.id)
        .where(Shop.status == "active", FlowSetting.flow_key == FLOW_KEY, FlowSetting.enabled)
    ).all()
    slot = utcnow().strftime("%Y%m%d%H%M")
    for shop_id in shop_ids:
        queues.enqueue(scan_browsing, shop_id, job_id=f"browse-scan-{shop_id}-{slot}")
    return len(shop_ids)
