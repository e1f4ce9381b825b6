"""Who watched a product that got cheaper or came back: the listener that notes the catalog's
news and the job that finds the shoppers to tell.

The catalog writer hands a ``CatalogChanged`` per batch to the listener (``on_catalog_changed``,
in ``dispatch.LISTENERS``), which keeps only what a switched-on flow cares about (a drop of at
least its ``min_drop_percent``) as ``catalog_changes`` rows and queues ``find_watchers`` after
the commit: a sync of thousands of products does one INSERT per batch and nothing per product.

``find_watchers`` takes every waiting change of the shop at once (the shop row locked, so a
second job waits and then finds nothing) and asks ONE query per kind: the consenting, not
unsubscribed shoppers who viewed one of the products within ``viewed_within_days`` or have it
in a cart, with the price they last saw it at, who have not bought it since and were not told
of it within ``product_cooldown_days``. Whom it tells is recorded in ``product_alerts`` at once;
runs are then started from those rows, ``ENROLL_BATCH`` at a time (each shopper's news goes to
the flows as one ``PriceDropped`` / ``BackInStock``), the rest in a follow-up job, so a product
thousands watched never runs a job into its timeout.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

import sqlalchemy as sa
from rq import Retry

from app.events import types as ev
from app.events.apply import apply
from app.flows import back_in_stock, price_drop
from app.flows.engine import clock
from app.flows.engine.definition import Flow
from app.flows.engine.settings import is_switched_on, settings_for
from app.logs import fields as log_fields
from app.models import (
    Cart,
    CatalogChange,
    Customer,
    Order,
    OrderLine,
    Product,
    ProductAlert,
    Shop,
    ShopScope,
    StorefrontEvent,
    Suppression,
    Variant,
    db,
    utcnow,
)
from app.models.sql import json_lines
from app.pipeline import queues

log = logging.getLogger(__name__)
FLOWS: dict[str, Flow] = {price_drop.KEY: price_drop.FLOW, back_in_stock.KEY: back_in_stock.FLOW}
# A waiting change older than this with no job to show for it is queued again by the sweep.
SWEEP_AFTER = timedelta(minutes=5)
BATCH = 2000  # catalog changes a job takes
ENROLL_BATCH = 5000  # recorded alerts a job starts runs for (a few ms each)


def on_catalog_changed(event: ev.Event) -> None:
    """Note the news a switched-on alert flow wants, and queue the job that finds watchers."""
    if not isinstance(event, ev.CatalogChanged):
        return
    rows: list[dict[str, Any]] = []
    if event.price_drops and is_switched_on(event.shop_id, price_drop.FLOW):
        percent = int(settings_for(event.shop_id, price_drop.FLOW)["min_drop_percent"])
        rows += [
            _change(event.shop_id, price_drop.KEY, d.product_id, d.old_price, d.new_price)
            for d in event.price_drops
            if _dropped_enough(d.old_price, d.new_price, percent)
        ]
    if event.restocked and is_switched_on(event.shop_id, back_in_stock.FLOW):
        rows += [
            _change(event.shop_id, back_in_stock.KEY, pid, None, None) for pid in event.restocked
        ]
    if not rows:
        return
    first = db.session.scalars(sa.insert(CatalogChange).returning(CatalogChange.id), rows).first()
    queues.enqueue_after_commit(
        db.session(), find_watchers, event.shop_id, job_id=f"watchers-{event.shop_id}-{first}"
    )


def _change(
    shop_id: int, kind: str, pid: str, old: Decimal | None, new: Decimal | None
) -> dict[str, Any]:
    return {
        "shop_id": shop_id,
        "product_id": pid,
        "kind": kind,
        "old_price": old,
        "new_price": new,
        "changed_at": utcnow(),
    }


def _dropped_enough(old: Decimal, new: Decimal, percent: int) -> bool:
    return old > 0 and new <= old * (100 - percent) / 100


def _interest(shop_id: int, products: list[str], since: datetime) -> sa.Subquery:
    """(customer, product, variant, when, price seen) of every view since ``since`` and every
    cart line of a cart touched since then, for these products."""
    seen = StorefrontEvent
    views = (
        ShopScope(shop_id)
        .select(
            seen,
            seen.kind == "product_viewed",
            seen.product_id.in_(products),
            seen.customer_id.is_not(None),
            seen.occurred_at > since,
        )
        .with_only_columns(
            seen.customer_id.label("customer_id"),
            seen.product_id.label("product_id"),
            seen.variant_id.label("variant_id"),
            seen.occurred_at.label("at"),
            seen.price_seen.label("price"),
        )
    )
    lines, field = json_lines(Cart.items)
    cart_at = sa.func.coalesce(Cart.platform_updated_at, Cart.updated_at)
    carted = (
        sa.select(
            Cart.customer_id.label("customer_id"),
            field("product_id").label("product_id"),
            sa.cast(field("variant_id"), seen.variant_id.type).label("variant_id"),
            cart_at.label("at"),
            sa.cast(field("unit_price"), seen.price_seen.type).label("price"),
        )
        .select_from(Cart)
        .join(lines, sa.true())
        .where(
            Cart.shop_id == shop_id,
            Cart.customer_id.is_not(None),
            Cart.status != "converted",
            cart_at > since,
            field("product_id").in_(products),
        )
    )
    both = sa.union_all(views, carted).subquery("interest")
    latest = sa.func.row_number().over(
        partition_by=(both.c.customer_id, both.c.product_id), order_by=both.c.at.desc()
    )
    return sa.select(both, latest.label("n")).subquery("latest")


def watchers_query(
    shop_id: int, kind: str, products: list[str], now: datetime, settings: dict[str, Any]
) -> sa.Select[Any]:
    """(customer, product, price seen, variant, its price now) of each shopper to tell, one
    row per pair. The variant is the one they last viewed or carted, when the catalog holds it
    for that product (else None, and the product's price stands)."""
    since = now - timedelta(days=int(settings["viewed_within_days"]))
    cooldown = now - timedelta(days=int(settings["product_cooldown_days"]))
    latest = _interest(shop_id, products, since)
    told = sa.exists().where(
        ProductAlert.shop_id == shop_id,
        ProductAlert.customer_id == latest.c.customer_id,
        ProductAlert.product_id == latest.c.product_id,
        ProductAlert.kind == kind,
        ProductAlert.emitted_at > cooldown,
    )
    bought = sa.exists().where(
        OrderLine.shop_id == shop_id,
        OrderLine.platform_product_id == latest.c.product_id,
        OrderLine.placed_at >= latest.c.at,
        Order.shop_id == shop_id,
        Order.id == OrderLine.order_id,
        Order.customer_id == latest.c.customer_id,
        Order.cancelled.is_(False),
    )
    unsubscribed = sa.exists().where(
        Suppression.shop_id == shop_id,
        Suppression.channel == "email",
        Suppression.address == Customer.email,
    )
    chosen = (
        sa.select(Variant.platform_variant_id, Product.platform_product_id, Variant.price)
        .join(
            Product, sa.and_(Product.shop_id == Variant.shop_id, Product.id == Variant.product_id)
        )
        .where(Variant.shop_id == shop_id, Product.shop_id == shop_id)
        .where(Product.platform_product_id.in_(products))
        .subquery("chosen")
    )
    return (
        sa.select(
            latest.c.customer_id,
            latest.c.product_id,
            latest.c.price,
            chosen.c.platform_variant_id,
            chosen.c.price,
        )
        .join(Customer, sa.and_(Customer.shop_id == shop_id, Customer.id == latest.c.customer_id))
        .outerjoin(
            chosen,
            sa.and_(
                chosen.c.platform_variant_id == latest.c.variant_id,
                chosen.c.platform_product_id == latest.c.product_id,
            ),
        )
        .where(
            latest.c.n == 1,
            Customer.shop_id == shop_id,
            Customer.email_consent == "granted",
            Customer.email.is_not(None),
            Customer.redacted_at.is_(None),
            ~unsubscribed,
            ~told,
            ~bought,
        )
        .order_by(latest.c.customer_id, latest.c.product_id)
    )


def _waiting(shop_id: int) -> dict[str, dict[str, tuple[Decimal | None, Decimal | None]]]:
    """kind -> product -> (first old price, last new price) of the shop's waiting changes; the
    rows are marked handled (the caller's transaction)."""
    rows = db.session.scalars(
        ShopScope(shop_id)
        .select(CatalogChange, CatalogChange.handled_at.is_(None))
        .order_by(CatalogChange.id)
        .limit(BATCH)
    ).all()
    found: dict[str, dict[str, tuple[Decimal | None, Decimal | None]]] = defaultdict(dict)
    now = utcnow()
    for row in rows:
        earlier = found[row.kind].get(row.product_id)
        found[row.kind][row.product_id] = (earlier[0] if earlier else row.old_price, row.new_price)
        row.handled_at = now
    return found


def _tell(
    shop_id: int,
    kind: str,
    changes: dict[str, tuple[Decimal | None, Decimal | None]],
    now: datetime,
) -> int:
    """Record whom to tell of which products (``product_alerts``, not yet enrolled)."""
    flow = FLOWS[kind]
    if not is_switched_on(shop_id, flow):
        return 0
    settings = settings_for(shop_id, flow)
    rows = db.session.execute(watchers_query(shop_id, kind, sorted(changes), now, settings)).all()
    alerts = []
    for customer_id, pid, seen, variant_id, variant_price in rows:
        old, new = changes[pid]
        if kind == price_drop.KEY:
            assert old is not None and new is not None
            if variant_price is not None:
                new = variant_price  # what the variant they chose costs now, not the "from"
            was = Decimal(seen) if seen is not None else old
            # Told only of a drop they would see: at least the threshold below their price.
            if not _dropped_enough(was, new, int(settings["min_drop_percent"])):
                continue
            old = was
        alerts.append(
            {
                "shop_id": shop_id,
                "customer_id": customer_id,
                "product_id": pid,
                "variant_id": variant_id,
                "kind": kind,
                "old_price": old,
                "new_price": new,
                "emitted_at": now,
            }
        )
    if alerts:
        db.session.execute(sa.insert(ProductAlert), alerts)
    return len(alerts)


def _news(alerts: list[ProductAlert]) -> list[ev.Event]:
    """Each shopper's news of these alerts, one event per shopper and kind."""
    grouped: dict[tuple[int, str], list[ProductAlert]] = defaultdict(list)
    for alert in alerts:
        grouped[(alert.customer_id, alert.kind)].append(alert)
    found: list[ev.Event] = []
    for (customer_id, kind), rows in grouped.items():
        if kind == price_drop.KEY:
            drops = tuple(
                ev.PriceChange(
                    product_id=a.product_id,
                    old_price=Decimal(a.old_price or 0),
                    new_price=Decimal(a.new_price or 0),
                    variant_id=a.variant_id,
                )
                for a in rows
            )
            found.append(
                ev.PriceDropped(shop_id=rows[0].shop_id, customer_id=customer_id, drops=drops)
            )
        else:
            ids = tuple(a.product_id for a in rows)
            variants = tuple((a.product_id, a.variant_id) for a in rows if a.variant_id)
            found.append(
                ev.BackInStock(
                    shop_id=rows[0].shop_id,
                    customer_id=customer_id,
                    product_ids=ids,
                    variants=variants,
                )
            )
    return found


def _enroll(shop_id: int, now: datetime) -> tuple[int, bool]:
    """Start the runs of up to ``ENROLL_BATCH`` recorded alerts; (shoppers, more waiting)."""
    alerts = db.session.scalars(
        ShopScope(shop_id)
        .select(ProductAlert, ProductAlert.enrolled_at.is_(None))
        .order_by(ProductAlert.id)
        .limit(ENROLL_BATCH + 1)
    ).all()
    more = len(alerts) > ENROLL_BATCH
    alerts = alerts[:ENROLL_BATCH]
    for alert in alerts:
        alert.enrolled_at = now
    found = _news(list(alerts))
    for event in found:
        apply(event)
    return len(found), more


@queues.job("flows", timeout=600, retry=Retry(max=3, interval=[30, 120, 600]))
def find_watchers(shop_id: int, now: datetime | None = None) -> int:
    """Tell the watchers of the shop's waiting catalog news; safe to run twice. Returns how
    many shoppers were told."""
    now = now or clock.now()
    shop = db.session.get(Shop, shop_id, with_for_update=True)
    if shop is None or shop.status != "active":
        db.session.rollback()
        return 0
    waiting = _waiting(shop_id)
    for kind, changes in waiting.items():
        _tell(shop_id, kind, changes, now)
    told, more_shoppers = _enroll(shop_id, now)
    more = ShopScope(shop_id).first(CatalogChange, CatalogChange.handled_at.is_(None))
    if more is not None or more_shoppers:
        # A huge sync or a product thousands watched: the rest in a job of its own, so no
        # job runs into its timeout (each shopper's run costs a few queries).
        queues.enqueue_after_commit(
            db.session(), find_watchers, shop_id, job_id=f"watchers-{shop_id}-{uuid4().hex[:12]}"
        )
    db.session.commit()
    log.info("alert watchers", extra=log_fields(shop=shop_id, customers=told))
    return told


@queues.job("flows", timeout=120, retry=Retry(max=1, interval=60))
def sweep_catalog_changes(now: datetime | None = None) -> int:
    """Queue ``find_watchers`` again for shops whose news or shoppers waited too long (a job
    Redis lost)."""
    now = now or utcnow()
    waiting = sa.select(CatalogChange.shop_id).where(
        CatalogChange.handled_at.is_(None), CatalogChange.changed_at < now - SWEEP_AFTER
    )
    unenrolled = sa.select(ProductAlert.shop_id).where(
        ProductAlert.enrolled_at.is_(None), ProductAlert.emitted_at < now - SWEEP_AFTER
    )
    shop_ids = sorted(set(db.session.scalars(sa.union(waiting, unenrolled)).all()))
    slot = now.strftime("%Y%m%d%H%M")
    for shop_id in shop_ids:
        queues.enqueue(find_watchers, shop_id, job_id=f"watchers-sweep-{shop_id}-{slot}")
    return len(shop_ids)


__all__ = ["find_watchers", "on_catalog_changed", "sweep_catalog_changes", "watchers_query"]
