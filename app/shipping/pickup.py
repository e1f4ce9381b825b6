"""Ordering a courier to collect the day's parcels, from the merchant page's Labels tab.

The page only queues ``order_pickup`` (no courier call inside a web request); the job counts
the day's created shipments of the shop's courier, asks the courier once per shop, courier and
day (an ``AuditLog`` row ``courier_pickup`` marks it done), and the page shows the answer.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, cast

from rq import Retry

from app.connectors.couriers.base import (
    CourierError,
    CourierUnavailable,
    PickupOrdering,
    PickupRequest,
)
from app.logs import fields as log_fields
from app.models import AuditLog, Shipment, Shop, ShopScope, db, utcnow
from app.pipeline import queues
from app.shipping.settings import load
from app.shipping.shipments import adapter_for

log = logging.getLogger(__name__)
ACTION = "courier_pickup"


def shop_day(shop: Shop, now: datetime | None = None) -> date:
    """Today where the shop is: the parcels "of today" are the ones printed since its midnight."""
    return (now or utcnow()).astimezone(shop.zone).date()


def can_order_pickup(shop: Shop) -> bool:
    """Whether the shop's courier takes pickup orders (the page shows the button then)."""
    settings = load(shop.id)
    if settings.courier == "own":
        return False
    try:
        return adapter_for(shop, settings).capabilities.pickup_orders
    except CourierError:  # credentials missing: the page says nothing it cannot do
        return False


def ordered_today(shop: Shop, now: datetime | None = None) -> AuditLog | None:
    day = shop_day(shop, now).isoformat()
    return ShopScope(shop.id).first(
        AuditLog, AuditLog.action == ACTION, AuditLog.subject.like(f"%:{day}")
    )


def request_pickup(shop: Shop, now: datetime | None = None) -> None:
    """Queue today's pickup order for the shop's courier (after the caller's commit)."""
    day = shop_day(shop, now)
    queues.enqueue_after_commit(
        db.session(), order_pickup, shop.id, day.isoformat(), job_id=f"pickup-{shop.id}-{day}"
    )


@queues.job("labels", timeout=60, retry=Retry(max=2, interval=[60, 300]))
def order_pickup(shop_id: int, day: str) -> str:
    """Ask the shop's courier to collect the day's parcels, once. Safe to run twice."""
    shop = db.session.get(Shop, shop_id)
    if shop is None:
        return "no shop"
    settings = load(shop_id)
    subject = f"{settings.courier}:{day}"
    scope = ShopScope(shop_id)
    if scope.first(AuditLog, AuditLog.action == ACTION, AuditLog.subject == subject):
        db.session.commit()
        return "already ordered"
    parcels, weight = _day_parcels(shop, settings.courier, date.fromisoformat(day))
    if not parcels:
        return _record(shop_id, subject, {"outcome": "nothing_to_collect"})
    adapter = adapter_for(shop, settings)
    if not adapter.capabilities.pickup_orders:
        return _record(shop_id, subject, {"outcome": "not_offered"})
    request = PickupRequest(day=date.fromisoformat(day), parcels=parcels, weight_kg=weight)
    try:
        answer = cast(PickupOrdering, adapter).order_pickup(request)
    except CourierUnavailable:
        db.session.commit()
        raise  # retried
    except CourierError as exc:
        return _record(shop_id, subject, {"outcome": "refused", "answer": str(exc)[:500]})
    return _record(shop_id, subject, {"outcome": "ordered", "answer": answer, "parcels": parcels})


def _day_parcels(shop: Shop, courier: str, day: date) -> tuple[int, Decimal]:
    """How many of the day's created shipments the courier carries, and their weight."""
    start = datetime.combine(day, time.min, tzinfo=shop.zone)
    today = ShopScope(shop.id).all(
        Shipment,
        Shipment.courier == courier,
        Shipment.status == "created",
        Shipment.created_at >= start,
        Shipment.created_at < start + timedelta(days=1),
    )
    weight = sum((_weight(s.request) for s in today), Decimal("0"))
    return len(today), weight or Decimal(len(today))


def _weight(request: dict[str, Any]) -> Decimal:
    parcels = request.get("parcels") or []
    return sum((Decimal(str(p.get("weight_kg") or 0)) for p in parcels), Decimal("0"))


def _record(shop_id: int, subject: str, details: dict[str, Any]) -> str:
    ShopScope(shop_id).add(
        AuditLog(actor="merchant", action=ACTION, subject=subject, details=details)
    )
    db.session.commit()
    log.info("courier pickup", extra=log_fields(shop=shop_id, outcome=details["outcome"]))
    return str(details["outcome"])


__all__ = ["ACTION", "can_order_pickup", "order_pickup", "ordered_today", "request_pickup"]
