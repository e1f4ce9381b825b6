"""Following shipments to the door: a ``labels``-queue poll of each open shipment's tracking.

Every few minutes ``plan_tracking`` picks the shipments whose ``next_track_at`` has come, at
most ``COURIER_PACE[courier]`` a minute per courier (what its API tolerates), pushes their next
check out by a lease, and queues ``track_shipment`` for each. ``track_shipment`` asks the
courier (``Courier.track``), stores the history it has not seen (``ShipmentEvent``, unique per
scan), maps the status onto ours and plans the next check: soon on the delivery day, rarely
for a parcel that has been travelling for a week, never after a final status.

Delivered starts the cross-sell clock when the shop chose "N days after delivery"; an exception
or a return is shown on the merchant's label page.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from rq import Retry

from app.connectors.couriers import COURIERS
from app.connectors.couriers.base import (
    FINAL_STATUSES,
    CourierError,
    CourierUnavailable,
    TrackingEvent,
    TrackingStatus,
)
from app.flows import cross_sell
from app.flows.engine import clock, engine
from app.flows.engine.settings import is_switched_on, settings_for
from app.logs import fields as log_fields
from app.models import Shipment, ShipmentEvent, Shop, ShopScope, db
from app.models.sql import insert_ignoring_conflict
from app.pipeline import queues
from app.shipping.settings import load
from app.shipping.shipments import adapter_for

log = logging.getLogger(__name__)

PLAN_EVERY = timedelta(minutes=5)  # how often cron runs plan_tracking
# Tracking calls a minute we allow ourselves per courier, well under each API's limit.
COURIER_PACE: dict[str, int] = {"inpost": 100, "sameday": 60, "fan_courier": 60, "cargus": 60}
DEFAULT_PACE = 30
# A planned check is not planned again before this, even if its job was lost (Redis flushed).
LEASE = timedelta(minutes=20)
# Wait before the next check, by our status: close together on the delivery day.
NEXT_CHECK: dict[str, timedelta] = {
    "created": timedelta(hours=4),
    "picked_up": timedelta(hours=3),
    "in_transit": timedelta(hours=3),
    "out_for_delivery": timedelta(minutes=45),
    "ready_for_pickup": timedelta(hours=6),
    "exception": timedelta(hours=4),
    "unknown": timedelta(hours=6),
}
SLOW_AFTER = timedelta(days=7)  # a parcel this old is asked about once a day
SLOW_CHECK = timedelta(days=1)
GIVE_UP_AFTER = timedelta(days=45)  # then only the merchant can find out
RETRY_UNAVAILABLE = timedelta(minutes=30)
ATTENTION = ("exception", "returned")  # what the merchant's page points out


def next_check(status: str, shipped_at: datetime, now: datetime) -> datetime | None:
    """When to ask the courier again; None when nothing more will change or it is too late."""
    if status in FINAL_STATUSES or now - shipped_at > GIVE_UP_AFTER:
        return None
    wait = NEXT_CHECK.get(status, NEXT_CHECK["unknown"])
    if now - shipped_at > SLOW_AFTER:
        wait = max(wait, SLOW_CHECK)
    return now + wait


@queues.job("labels", timeout=120, retry=Retry(max=1, interval=30))
def plan_tracking(now: datetime | None = None) -> dict[str, int]:
    """Queue the tracking checks that are due, courier by courier, at each courier's pace."""
    now = now or clock.now()
    planned: dict[str, int] = {}
    minutes = int(PLAN_EVERY.total_seconds() // 60)
    for courier in tracked_couriers():
        rows = claim_due(courier, now, COURIER_PACE.get(courier, DEFAULT_PACE) * minutes)
        for shipment_id, shop_id in rows:
            queues.enqueue_after_commit(
                db.session(), track_shipment, shop_id, shipment_id, job_id=f"track-{shipment_id}"
            )
        if rows:
            planned[courier] = len(rows)
    db.session.commit()
    log.info("tracking planned", extra=log_fields(planned=planned))
    return planned


def claim_due(courier: str, now: datetime, limit: int) -> list[tuple[int, int]]:
    """The courier's due shipments, oldest due first, leased so no other plan takes them."""
    due = (
        sa.select(Shipment.id)
        .where(Shipment.courier == courier, Shipment.next_track_at <= now)
        .order_by(Shipment.next_track_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    # One statement: select the due rows (skipping any another plan holds) and lease them.
    lease = (
        sa.update(Shipment)
        .where(Shipment.id.in_(due.scalar_subquery()))
        .values(next_track_at=now + LEASE)
        .returning(Shipment.id, Shipment.shop_id)
        .execution_options(synchronize_session=False)
    )
    return [(row.id, row.shop_id) for row in db.session.execute(lease)]


def tracked_couriers() -> list[str]:
    """Every courier we can ask (our own labels have no one to ask)."""
    return [key for key in COURIERS if key != "own"]


@queues.job("labels", timeout=60, retry=Retry(max=2, interval=[60, 600]))
def track_shipment(shop_id: int, shipment_id: int) -> str:
    """Ask the courier where the parcel is; store what is new. Safe to run twice."""
    scope = ShopScope(shop_id)
    shipment = scope.get(Shipment, shipment_id)
    shop = db.session.get(Shop, shop_id)
    if shipment is None or shop is None or not shipment.tracking_number:
        db.session.commit()
        return "gone"
    if shipment.tracking_status in FINAL_STATUSES or shipment.status != "created":
        shipment.next_track_at = None  # delivered, returned, or cancelled on our side
        db.session.commit()
        return "stopped"
    now = clock.now()
    try:
        adapter = adapter_for(shop, load(shop_id), shipment.courier)
        answer = adapter.track(shipment.tracking_number)
    except CourierUnavailable as exc:
        return _ask_later(shipment, now + RETRY_UNAVAILABLE, exc)
    except CourierError as exc:  # credentials gone, AWB unknown: try again much later
        return _ask_later(shipment, now + NEXT_CHECK["unknown"], exc)
    return record(shipment, answer, now)


def _ask_later(shipment: Shipment, when: datetime, error: Exception) -> str:
    shipment.next_track_at = when
    db.session.commit()
    log.warning(
        "tracking not available",
        extra=log_fields(shop=shipment.shop_id, shipment=shipment.id, error=str(error)[:200]),
    )
    return "later"


def record(shipment: Shipment, answer: TrackingStatus, now: datetime) -> str:
    """Store the answer's new scans and our status; plan the next check. Commits."""
    for event in _events(answer):
        insert_ignoring_conflict(
            ShipmentEvent,
            {
                "shop_id": shipment.shop_id,
                "shipment_id": shipment.id,
                "status": event.status,
                "courier_status": event.courier_status[:255],
                "happened_at": (event.at or "")[:40],
                "location": event.location[:255],
                "recorded_at": now,
            },
        )
    previous = shipment.tracking_status
    status = answer.status if answer.status != "unknown" else (previous or "unknown")
    shipment.tracking_status = status
    shipment.tracking_checked_at = now
    shipment.next_track_at = next_check(status, shipment.created_at, now)
    if status == "delivered" and shipment.delivered_at is None:
        shipment.delivered_at = now
        _start_cross_sell(shipment, now)
    db.session.commit()
    if status != previous:
        log.info(
            "shipment status changed",
            extra=log_fields(shop=shipment.shop_id, shipment=shipment.id, status=status),
        )
    return status


def _start_cross_sell(shipment: Shipment, delivered_at: datetime) -> None:
    """Delivered starts the cross-sell clock when the shop counts from delivery."""
    flow = cross_sell.FLOW
    shop = db.session.get(Shop, shipment.shop_id)
    if shop is None or shop.status != "active" or not is_switched_on(shop.id, flow):
        return
    settings = settings_for(shop.id, flow)
    enrollment = cross_sell.delivery_enrollment(shop.id, shipment.order_id, delivered_at, settings)
    if enrollment is not None:
        engine.start(shop.id, flow, enrollment, settings)


def _events(answer: TrackingStatus) -> tuple[TrackingEvent, ...]:
    if answer.history:
        return answer.history
    if not answer.courier_status:
        return ()
    # Couriers that report only the latest status: each new one becomes a line of history.
    return (TrackingEvent(answer.status, answer.courier_status, answer.at),)


def history(shop_id: int, shipment_id: int) -> list[ShipmentEvent]:
    """The shipment's scans, oldest first."""
    scope = ShopScope(shop_id)
    query = scope.select(ShipmentEvent, ShipmentEvent.shipment_id == shipment_id).order_by(
        ShipmentEvent.happened_at, ShipmentEvent.id
    )
    return list(db.session.scalars(query))
