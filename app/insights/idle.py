"""Idle detection: customers whose last order is older than the shop's idle rule.

The rule is chosen per shop by the nightly backtest of its own history (``idle_eval``): a
fixed window (60, 90 or 120 days; the merchant's saved ``idle_days`` always wins) or the
customer's own rhythm — max(the window, twice their median gap between orders when they have
3+ orders): someone who buys every two months is idle after 90 days, someone who buys twice
a year only after a year. Until the backtest has decided, the window is 90 days with rhythm.
Never a customer who never bought, and never the same customer twice within the cooldown
(default 180 days), which ``idle_emissions`` records.

The finding is ONE statement per shop (INSERT ... SELECT ... RETURNING): the candidates are
read from the order totals kept on ``customers``, median gaps come from ``orders``, and the
emissions are recorded by the same statement, so a rerun the same day finds nobody new.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from rq import Retry

from app.events import types as events
from app.events.apply import apply
from app.insights.alerts import DAILY_KINDS, raise_alerts
from app.insights.engagement import score_engagement
from app.insights.segments import score_customers
from app.logs import fields as log_fields
from app.models import Customer, FlowSetting, IdleEmission, Order, Shop, ShopScope, db, utcnow
from app.models.base import UTCDateTime
from app.models.shop_settings import IdleRule, ShopSettingsError
from app.models.sql import allow_large_sorts, epoch_seconds
from app.pipeline import queues

log = logging.getLogger(__name__)
FLOW_KEY = "reactivation"
DAY = 86400.0


@dataclass(frozen=True)
class IdleSettings:
    idle_days: int = 90
    cooldown_days: int = 180
    rhythm: bool = True

    @classmethod
    def for_shop(cls, shop_id: int) -> IdleSettings:
        values = _saved_values(shop_id)
        shop = db.session.get(Shop, shop_id)
        try:
            rule = shop.idle_rule if shop else IdleRule()
        except ShopSettingsError:
            rule = IdleRule()
        try:
            return cls(
                idle_days=max(1, int(values.get("idle_days", rule.days))),
                cooldown_days=max(0, int(values.get("cooldown_days", cls.cooldown_days))),
                rhythm=rule.rhythm,
            )
        except (TypeError, ValueError):
            log.warning("bad reactivation settings; using defaults", extra=log_fields(shop=shop_id))
            return cls()


def _saved_values(shop_id: int) -> dict[str, Any]:
    setting = ShopScope(shop_id).first(FlowSetting, FlowSetting.flow_key == FLOW_KEY)
    return dict(setting.values) if setting else {}


def merchant_idle_days(shop_id: int) -> int | None:
    """The idle window the merchant saved, which the evidence never overrides."""
    try:
        days = _saved_values(shop_id).get("idle_days")
        return max(1, int(days)) if days is not None else None
    except (TypeError, ValueError):
        return None


def _median_percentile_cont(gaps: sa.Subquery) -> sa.Select[Any]:
    median = sa.func.percentile_cont(0.5).within_group(gaps.c.gap)
    return sa.select(gaps.c.customer_id, median.label("median_gap")).group_by(gaps.c.customer_id)


def _median_by_rank(gaps: sa.Subquery) -> sa.Select[Any]:
    """SQLite has no percentile_cont: average the middle one or two gaps by their rank."""
    ranked = (
        sa.select(
            gaps.c.customer_id,
            gaps.c.gap,
            sa.func.row_number()
            .over(partition_by=gaps.c.customer_id, order_by=gaps.c.gap)
            .label("rn"),
            sa.func.count().over(partition_by=gaps.c.customer_id).label("n"),
        )
        .where(gaps.c.gap.is_not(None))
        .subquery()
    )
    middle = ranked.c.rn.in_([(ranked.c.n + 1) / 2, (ranked.c.n + 2) / 2])
    return (
        sa.select(ranked.c.customer_id, sa.func.avg(ranked.c.gap).label("median_gap"))
        .where(middle)
        .group_by(ranked.c.customer_id)
    )


MEDIAN_GAP = {"postgresql": _median_percentile_cont, "sqlite": _median_by_rank}


def idle_query(shop_id: int, now: datetime, settings: IdleSettings, dialect: str) -> sa.Select[Any]:
    """(shop id, customer id, last order time, now) of each newly idle customer."""
    scope = ShopScope(shop_id)
    threshold = settings.idle_days * DAY
    cooling = sa.exists().where(
        IdleEmission.shop_id == Customer.shop_id,
        IdleEmission.customer_id == Customer.id,
        IdleEmission.emitted_at > now - timedelta(days=settings.cooldown_days),
    )
    candidates = (
        scope.select(Customer, Customer.last_order_at < now - timedelta(days=settings.idle_days))
        .where(Customer.redacted_at.is_(None), ~cooling)
        .with_only_columns(Customer.id, Customer.last_order_at, Customer.order_count)
        .cte("candidates")
    )
    columns = (
        sa.literal(shop_id).label("shop_id"),
        candidates.c.id,
        candidates.c.last_order_at,
        sa.literal(now, UTCDateTime()).label("emitted_at"),
    )
    if not settings.rhythm:  # every candidate is past the fixed window
        return sa.select(*columns).select_from(candidates)
    placed = epoch_seconds(Order.placed_at)
    gaps = (
        scope.select(Order, Order.cancelled.is_(False))
        .join(candidates, candidates.c.id == Order.customer_id)
        .where(candidates.c.order_count >= 3)
        .with_only_columns(
            Order.customer_id,
            (
                placed
                - sa.func.lag(placed).over(partition_by=Order.customer_id, order_by=Order.placed_at)
            ).label("gap"),
        )
        .subquery("gaps")
    )
    medians = MEDIAN_GAP[dialect](gaps).subquery("medians")
    rhythm = 2 * sa.func.coalesce(medians.c.median_gap, 0)
    allowed = sa.case((rhythm > threshold, rhythm), else_=threshold)
    return (
        sa.select(*columns)
        .select_from(candidates)
        .outerjoin(medians, medians.c.customer_id == candidates.c.id)
        .where(epoch_seconds(candidates.c.last_order_at) < now.timestamp() - allowed)
    )


def idle_statement(shop_id: int, now: datetime, settings: IdleSettings, dialect: str) -> sa.Insert:
    """Find the shop's newly idle customers and record them, returning who they are."""
    columns = ["shop_id", "customer_id", "last_order_at", "emitted_at"]
    return (
        sa.insert(IdleEmission)
        .from_select(columns, idle_query(shop_id, now, settings, dialect))
        .returning(IdleEmission.customer_id, IdleEmission.last_order_at)
    )


def find_idle_customers(shop_id: int, now: datetime) -> list[events.CustomerIdle]:
    """Record and describe the customers who went idle; the caller commits."""
    settings = IdleSettings.for_shop(shop_id)
    dialect = db.session.get_bind().dialect.name
    rows = db.session.execute(idle_statement(shop_id, now, settings, dialect)).all()
    return [
        events.CustomerIdle(
            shop_id=shop_id,
            customer_id=customer_id,
            last_order_at=last_order_at,
            days_idle=(now - last_order_at).days,
        )
        for customer_id, last_order_at in rows
    ]


@queues.job("sync", timeout=1800, retry=Retry(max=2, interval=[300, 1800]))
def scan_customers(shop_id: int, now: datetime | None = None) -> dict[str, int]:
    """The daily customer scan of one shop: RFM scores, engagement scores and stages, the
    staff alerts that read them, then idle customers. Safe to rerun."""
    now = now or utcnow()
    # Locking the shop row makes a second scan of the shop wait, then find nobody new.
    shop = db.session.get(Shop, shop_id, with_for_update=True)
    if shop is None or shop.status != "active":
        db.session.rollback()
        return {"scored": 0, "idle": 0}
    allow_large_sorts()
    scored = score_customers(shop_id, now)
    engagement = score_engagement(shop_id, now)
    alerts = raise_alerts(shop_id, now, DAILY_KINDS)
    idle = find_idle_customers(shop_id, now)
    for event in idle:
        apply(event)
    db.session.commit()
    result = {"scored": scored, "idle": len(idle), **engagement, "alerts": alerts}
    log.info("customer scan", extra=log_fields({"shop": shop_id, **result}))
    return result


@queues.job("sync", timeout=300, retry=Retry(max=2, interval=[60, 600]))
def daily_customer_scan() -> int:
    """Enqueue one customer scan per installed shop (run by ``rq cron``)."""
    shop_ids = db.session.scalars(sa.select(Shop.id).where(Shop.status == "active")).all()
    day = utcnow().date().isoformat()
    for shop_id in shop_ids:
        queues.enqueue(scan_customers, shop_id, job_id=f"customer-scan-{shop_id}-{day}")
    return len(shop_ids)
