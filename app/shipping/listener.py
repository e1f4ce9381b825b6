"""Courier labels: a shipment for each paid (or placed) order, its label, tracking back.

Auto mode waits for the milestone the merchant chose (``trigger`` in the label settings: paid,
or created = placed); a cash-on-delivery order waits only for being placed, since it is paid
when the parcel is delivered. Manual mode leaves creation to bulk print.

After a shipment is created the tracking number is pushed back to the shop through its
platform (``Platform.push_tracking``) and the customer is enrolled in the shipping notice flow
(one email with the tracking link, sent at once). A cancelled order's shipments are cancelled
at the courier too.
"""

from __future__ import annotations

import logging

from rq import Retry

from app import connectors
from app.events import types as ev
from app.events.reactions import stored_order
from app.flows import shipping_notice
from app.flows.engine import clock, engine
from app.flows.engine.settings import settings_for
from app.logs import fields as log_fields
from app.models import Order, Shipment, Shop, ShopScope, db, utcnow
from app.pipeline import queues
from app.shipping import settings as label_settings
from app.shipping.cancel import cancel_order_shipments
from app.shipping.shipments import create_shipment

log = logging.getLogger(__name__)
# The order milestone each automatic trigger setting waits for.
TRIGGER_MILESTONES = {"paid": "paid", "created": "placed"}


def label_milestone(order: Order, trigger: str) -> str | None:
    """What the order's label waits for; None: labels are made by hand."""
    if trigger not in TRIGGER_MILESTONES:
        return None
    # Cash on delivery is paid when the parcel arrives: its label cannot wait for that.
    return "placed" if order.is_cod else TRIGGER_MILESTONES[trigger]


def on_order_event(event: ev.Event) -> None:
    """Queue the order's shipment once the order, as now stored, reached its label milestone
    (the state decides, not the event's name: an orders/updated that says "paid" counts)."""
    if isinstance(event, ev.OrderCancelled):
        _on_cancelled(event)
        return
    if not isinstance(event, ev.OrderPaid | ev.OrderCreated):
        return
    settings = label_settings.load(event.shop_id)
    if not settings.enabled:
        return
    order = stored_order(event)
    if order is None:
        return
    milestone = label_milestone(order, settings.trigger)
    if milestone is None or order.reached(milestone) is None:
        return
    queues.enqueue_after_commit(
        db.session(),
        create_order_shipment,
        event.shop_id,
        order.id,
        job_id=f"labels-{event.shop_id}-{order.id}",
    )


def _on_cancelled(event: ev.OrderCancelled) -> None:
    scope = ShopScope(event.shop_id)
    order = scope.first(Order, Order.platform_order_id == event.order_id)
    if order is None or scope.first(Shipment, Shipment.order_id == order.id) is None:
        return
    queues.enqueue_after_commit(
        db.session(),
        cancel_order_shipments,
        event.shop_id,
        order.id,
        job_id=f"labels-cancel-{event.shop_id}-{order.id}",
    )


def _after_created(shipment: Shipment, settings: label_settings.LabelSettings) -> None:
    """Tracking back to the shop (once the shipment is committed), and the shipping notice."""
    shop_id, shipment_id = shipment.shop_id, shipment.id
    queues.enqueue_after_commit(
        db.session(), push_tracking, shop_id, shipment_id, job_id=f"tracking-{shipment_id}"
    )
    if settings.shipping_email:  # the shipping notice is wanted
        enroll_shipping_notice(shipment)


def enroll_shipping_notice(shipment: Shipment) -> None:
    """Start the shipment's notice run in the shipment's own transaction (a durable timer:
    if Redis loses the job, the minute tick finds the run), and send it as soon as it commits."""
    now = clock.now()
    enrollment = shipping_notice.enrollment(shipment, now)
    if enrollment is None:
        return
    flow = shipping_notice.FLOW
    run = engine.enroll(shipment.shop_id, flow, enrollment, settings_for(shipment.shop_id, flow))
    engine.run_now(run, now)


def ship_order(
    shop_id: int, order_id: int, settings: label_settings.LabelSettings | None = None
) -> Shipment:
    """Create the order's shipment now (or return the one it has); tracking follows by job.
    ``settings``: the shop's label settings when the caller has them (bulk print, per batch)."""
    settings = settings or label_settings.load(shop_id)
    return create_shipment(
        shop_id,
        order_id,
        on_created=lambda shipment: _after_created(shipment, settings),
        settings=settings,
    )


@queues.job("labels", timeout=180, retry=Retry(max=4, interval=[30, 120, 600, 1800]))
def create_order_shipment(shop_id: int, order_id: int) -> str:
    """Create the order's shipment. Safe to run twice: the row says how far we got."""
    order = ShopScope(shop_id).get(Order, order_id)
    if order is None or order.cancelled:
        db.session.commit()
        return "order cancelled"
    return ship_order(shop_id, order_id).status


@queues.job("labels", timeout=60, retry=Retry(max=5, interval=[30, 120, 600, 1800, 7200]))
def push_tracking(shop_id: int, shipment_id: int) -> str:
    """Tell the shop the tracking number, once (``tracking_pushed_at`` marks it done)."""
    scope = ShopScope(shop_id)
    shipment = scope.get(Shipment, shipment_id, for_update=True)
    shop = db.session.get(Shop, shop_id)
    if shipment is None or shop is None or shipment.tracking_pushed_at is not None:
        db.session.commit()
        return "skipped"
    if shop.status != "active":
        # Disconnected: its keys are revoked, so every retry would only be refused (401).
        db.session.commit()
        return "shop not active"
    order = scope.get(Order, shipment.order_id)
    platform = connectors.get(shop.platform)
    if order is None or platform is None:
        db.session.commit()
        log.warning("no way to push tracking", extra=log_fields(shop=shop_id, shipment=shipment_id))
        return "unsupported"
    # Shopify's own shipping mail would be a second one when ours goes out.
    ours = label_settings.load(shop_id).shipping_email
    platform.push_tracking(shop, order, shipment, notify_customer=not ours)
    shipment.tracking_pushed_at = utcnow()
    db.session.commit()
    return "pushed"
