"""Staff alerts: the rules a merchant sets, and finding the customers each rule names.

Kinds (``ALERT_KINDS``):
- ``score_above`` / ``score_below`` — the daily score rose to N or more / fell below N
  (a crossing needs a score before it: a customer's first score crosses nothing);
- ``cart_abandoned`` — a known customer left a cart of at least the amount for an hour
  (carts of the last week, none with an order placed since);
- ``vip_overdue`` — a top customer (RFM frequency and monetary 4-5, two orders or more) has
  not ordered for longer than their usual gap (their average days between orders, at least a
  week);
- ``page_viewed`` — a known customer viewed the product the merchant named (its page
  address, handle or id) within the last hour.

The score and VIP rules run in the daily customer scan, right after the scores; the cart and
page rules every five minutes (``alert_scan``, ``rq cron``). Each finding is stored once per
(shop, rule, customer, period) — a unique constraint: the period is the rule's
``period_days`` counted in whole blocks from day one, so an alert repeats at most once a
period whatever reruns or overlapping windows do. New alerts are handed, after the commit, to
``alert_delivery.notify_staff`` (emails, digest, webhook).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlparse

import sqlalchemy as sa
from rq import Retry

from app.insights.alert_delivery import notify_staff, shops_with_unnotified_alerts
from app.logs import fields as log_fields
from app.models import (
    AlertRule,
    Cart,
    Customer,
    CustomerEngagement,
    CustomerScore,
    Order,
    Product,
    Shop,
    ShopScope,
    StaffAlert,
    StorefrontEvent,
    db,
    utcnow,
)
from app.models.sql import dialect_insert, epoch_seconds
from app.pipeline import queues

log = logging.getLogger(__name__)
DAILY_KINDS = ("score_above", "score_below", "vip_overdue")
LIVE_KINDS = ("cart_abandoned", "page_viewed")
CART_WAIT = timedelta(hours=1)
CART_LOOKBACK = timedelta(days=7)
VIEW_WINDOW = timedelta(hours=1)
VIP_MIN_GAP_DAYS = 7
RENOTIFY_AFTER = timedelta(minutes=5)
MOST_PER_RULE = 1000  # one scan's findings per rule; the rest come in the next scan
Query = Any  # a SELECT of (customer id, *facts)
Finder = Callable[[AlertRule, datetime], Query | None]


def period_start(now: datetime, period_days: int) -> date:
    """The first day of the rule's period containing ``now`` (blocks of ``period_days``)."""
    day = now.date().toordinal()
    return date.fromordinal(day - (day - 1) % max(1, period_days))


def _score_crossed(rule: AlertRule, now: datetime) -> Query:
    e, threshold = CustomerEngagement, int(rule.threshold or 0)
    crossed = (
        sa.and_(e.score >= threshold, e.previous_score < threshold)
        if rule.kind == "score_above"
        else sa.and_(e.score < threshold, e.previous_score >= threshold)
    )
    return (
        ShopScope(rule.shop_id)
        .select(e, e.scored_at == now, crossed)
        .with_only_columns(e.customer_id, e.score, e.previous_score)
    )


def _cart_abandoned(rule: AlertRule, now: datetime) -> Query:
    changed = sa.func.coalesce(Cart.platform_updated_at, Cart.updated_at)
    ordered = sa.exists().where(
        Order.shop_id == rule.shop_id,
        Order.customer_id == Cart.customer_id,
        Order.placed_at >= changed,
    )
    return (
        ShopScope(rule.shop_id)
        .select(
            Cart,
            Cart.status == "active",
            Cart.customer_id.is_not(None),
            Cart.total >= (rule.threshold or Decimal(0)),
            changed <= now - CART_WAIT,
            changed > now - CART_LOOKBACK,
            ~ordered,
        )
        .with_only_columns(Cart.customer_id, Cart.total, Cart.currency)
    )


def _vip_overdue(rule: AlertRule, now: datetime) -> Query:
    c = Customer
    span = epoch_seconds(c.last_order_at) - epoch_seconds(c.first_order_at)
    gap_days = span / (c.order_count - 1) / 86400.0
    idle_days = (now.timestamp() - epoch_seconds(c.last_order_at)) / 86400.0
    return (
        ShopScope(rule.shop_id)
        .select(
            c,
            c.redacted_at.is_(None),
            c.order_count >= 2,
            CustomerScore.frequency >= 4,
            CustomerScore.monetary >= 4,
            idle_days > sa.case((gap_days < VIP_MIN_GAP_DAYS, VIP_MIN_GAP_DAYS), else_=gap_days),
        )
        .join(
            CustomerScore,
            sa.and_(CustomerScore.shop_id == c.shop_id, CustomerScore.customer_id == c.id),
        )
        .with_only_columns(c.id, sa.func.round(gap_days), sa.cast(idle_days, sa.Integer))
    )


def watched_product(shop_id: int, target: str) -> Product | None:
    """The product a merchant named: its page address (any host, trailing slash or query
    ignored), its handle, or its platform id."""
    text = target.strip()
    path = urlparse(text).path.rstrip("/") if "/" in text else ""
    handle = path.rsplit("/", 1)[-1] if path else text
    scope = ShopScope(shop_id)
    match = [Product.platform_product_id == text, Product.handle == handle]
    if path:
        match.append(sa.func.rtrim(Product.url, "/").like(f"%{path}"))
    return scope.first(Product, sa.or_(*match), Product.status != "deleted")


def _page_viewed(rule: AlertRule, now: datetime) -> Query | None:
    product = watched_product(rule.shop_id, rule.target or "")
    if product is None:
        return None
    seen = StorefrontEvent
    return (
        ShopScope(rule.shop_id)
        .select(
            seen,
            seen.occurred_at > now - VIEW_WINDOW,
            seen.kind == "product_viewed",
            seen.product_id == product.platform_product_id,
            seen.customer_id.is_not(None),
        )
        .with_only_columns(seen.customer_id, sa.literal(product.platform_product_id))
        .distinct()
    )


FINDERS: dict[str, tuple[Finder, tuple[str, ...]]] = {
    "score_above": (_score_crossed, ("score", "previous_score")),
    "score_below": (_score_crossed, ("score", "previous_score")),
    "cart_abandoned": (_cart_abandoned, ("cart_total", "currency")),
    "vip_overdue": (_vip_overdue, ("usual_gap_days", "days_since_order")),
    "page_viewed": (_page_viewed, ("product_id",)),
}


def _plain(value: Any) -> Any:
    """A fact as JSON keeps it: whole numbers as numbers, an amount of money as text."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    return int(value) if isinstance(value, float) else value


def _raise_for_rule(rule: AlertRule, now: datetime) -> int:
    finder, facts = FINDERS[rule.kind]
    query = finder(rule, now)
    if query is None:
        return 0
    rows = db.session.execute(query.limit(MOST_PER_RULE)).all()
    if not rows:
        return 0
    period = period_start(now, rule.period_days)
    values = [
        {
            "shop_id": rule.shop_id,
            "rule_id": rule.id,
            "customer_id": row[0],
            "period_start": period,
            "detail": {key: _plain(fact) for key, fact in zip(facts, row[1:], strict=True)},
            "created_at": now,
        }
        for row in rows
    ]
    stmt = dialect_insert(StaffAlert).values(values).on_conflict_do_nothing()
    return len(db.session.execute(stmt.returning(StaffAlert.__table__.c.id)).all())


def raise_alerts(shop_id: int, now: datetime, kinds: tuple[str, ...]) -> int:
    """Store the new alerts of the shop's enabled rules of these kinds; the caller commits.
    Once committed, the staff hear of them (``notify_staff`` is queued after the commit)."""
    rules = ShopScope(shop_id).all(
        AlertRule, AlertRule.enabled.is_(True), AlertRule.kind.in_(kinds)
    )
    found = sum(_raise_for_rule(rule, now) for rule in rules)
    if found:
        queues.enqueue_after_commit(
            db.session(),
            notify_staff,
            shop_id,
            job_id=f"staff-alerts-{shop_id}-{now:%Y%m%d%H%M%S}",
        )
    return found


@queues.job("flows", timeout=300, retry=Retry(max=2, interval=[60, 300]))
def scan_alerts(shop_id: int, now: datetime | None = None) -> int:
    """The cart and page rules of one shop. Safe to rerun: an alert is stored once."""
    now = now or utcnow()
    shop = db.session.get(Shop, shop_id)
    if shop is None or shop.status != "active":
        db.session.rollback()
        return 0
    found = raise_alerts(shop_id, now, LIVE_KINDS)
    db.session.commit()
    if found:
        log.info("staff alerts", extra=log_fields(shop=shop_id, alerts=found))
    return found


@queues.job("flows", timeout=120, retry=Retry(max=1, interval=60))
def alert_scan() -> int:
    """Queue ``scan_alerts`` for every active shop with a cart or page rule (``rq cron``), and
    ``notify_staff`` again where alerts wait untold (their job lost with a flushed Redis)."""
    now = utcnow()
    slot = now.strftime("%Y%m%d%H%M")
    for shop_id in shops_with_unnotified_alerts(now - RENOTIFY_AFTER):
        queues.enqueue(notify_staff, shop_id, job_id=f"staff-alerts-{shop_id}-{slot}-again")
    shop_ids = db.session.scalars(
        sa.select(AlertRule.shop_id)
        .join(Shop, Shop.id == AlertRule.shop_id)
        .where(Shop.status == "active", AlertRule.enabled, AlertRule.kind.in_(LIVE_KINDS))
        .distinct()
    ).all()
    for shop_id in shop_ids:
        queues.enqueue(scan_alerts, shop_id, job_id=f"alert-scan-{shop_id}-{slot}")
    return len(shop_ids)
