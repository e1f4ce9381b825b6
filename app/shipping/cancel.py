"""Cancelled orders: their shipments are cancelled at the courier, or say why they are not."""

from __future__ import annotations

import logging

from rq import Retry

from app.connectors.couriers.base import CourierError, CourierUnavailable
from app.logs import fields as log_fields
from app.models import Shipment, Shop, ShopScope, db
from app.pipeline import queues
from app.shipping.settings import load
from app.shipping.shipments import adapter_for

log = logging.getLogger(__name__)
NOTHING_SENT = ("pending", "failed")  # the courier never heard of these


@queues.job("labels", timeout=120, retry=Retry(max=3, interval=[60, 600, 3600]))
def cancel_order_shipments(shop_id: int, order_id: int) -> str:
    """Cancel every shipment of a cancelled order. Safe to run twice."""
    shop = db.session.get(Shop, shop_id)
    ids = [s.id for s in ShopScope(shop_id).all(Shipment, Shipment.order_id == order_id)]
    db.session.commit()
    if shop is None:
        return "no shop"
    return ",".join(_cancel(shop, shipment_id) for shipment_id in ids) or "no shipments"


def _cancel(shop: Shop, shipment_id: int) -> str:
    shipment = ShopScope(shop.id).get(Shipment, shipment_id, for_update=True)
    if shipment is None or shipment.status == "cancelled":
        db.session.commit()
        return "cancelled"
    if shipment.status in NOTHING_SENT:
        return _set(shipment, "cancelled", None)
    if shipment.status != "created":
        # In doubt at the courier: a person must look there before anything else happens.
        note = f"order cancelled; check at {shipment.courier} for {shipment.idempotency_key}"
        return _set(shipment, "needs_check", note)
    try:
        adapter_for(shop, load(shop.id), shipment.courier).cancel(
            shipment.carrier_shipment_id or ""
        )
    except CourierUnavailable:
        db.session.commit()
        raise  # retried: the courier did not answer
    except CourierError as exc:  # e.g. already handed to the courier
        shipment.error = f"not cancelled at {shipment.courier}: {exc}"[:2000]
        db.session.commit()
        return "refused"
    return _set(shipment, "cancelled", None)


def _set(shipment: Shipment, status: str, error: str | None) -> str:
    shipment.status, shipment.error = status, error
    db.session.commit()
    log.info("shipment cancelled", extra=log_fields(shipment=shipment.id, status=status))
    return status
