"""Creating a shipment once per (order, parcel index), whatever the courier or network does.

The row is written before the courier is called and its status says how far we got:
``pending`` → ``requested`` (we are asking the courier) → ``created``; or ``failed`` (the
courier said no: its message is kept), ``unknown`` (no answer: it may exist there) and
``needs_check`` (no answer and the courier cannot be asked by our reference, so a person must
look before anything is sent again). A retry of an ``unknown`` shipment looks it up by our
reference instead of creating a second one.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from flask import current_app

from app.connectors import couriers
from app.connectors.couriers.base import (
    AddressMismatch,
    Courier,
    CourierError,
    CourierUnavailable,
    ShipmentRequest,
    ShipmentResult,
)
from app.connectors.couriers.names import CARRIER_NAMES
from app.logs import fields as log_fields
from app.models import Order, Shipment, Shop, ShopScope, db, utcnow
from app.models.sql import insert_ignoring_conflict
from app.shipping import addresses, texts, tokens
from app.shipping.settings import LabelSettings, courier_credentials, load

log = logging.getLogger(__name__)
RETRYABLE = ("pending", "failed")  # nothing exists at the courier: safe to ask again
IN_DOUBT = ("requested", "unknown")  # the courier may hold it: look it up first
# Longer than a courier call can take (connect + read timeouts, ShipX confirmation polling).
IN_FLIGHT_SECONDS = 120
# Couriers scan a parcel when they pick it up, hours after the label: ask no sooner.
FIRST_TRACK_AFTER = timedelta(hours=2)


def adapter_for(shop: Shop, settings: LabelSettings, courier: str | None = None) -> Courier:
    """The shop's courier adapter (or ``courier``'s: a shipment keeps the one that made it)."""
    key = courier or settings.courier
    values = settings.as_values()
    values["tracking_url"] = _tracking_url(shop.id)
    values["fan_courier_url"] = current_app.config["FAN_COURIER_URL"]
    values["cargus_url"] = current_app.config["CARGUS_URL"]
    credentials = courier_credentials(shop, key)
    token = tokens.cached(shop.id, key)
    if token:
        credentials["token"] = token
    adapter = couriers.build(key, values, credentials)
    tokens.remember(shop.id, key, adapter)
    return adapter


def _tracking_url(shop_id: int) -> str:
    return f"{current_app.config['PUBLIC_URL']}/track/{shop_id}/{{number}}"


def build_request(
    shop: Shop, order: Order, shipment: Shipment, settings: LabelSettings
) -> ShipmentRequest:
    parcel = settings.default_parcel(addresses.weight_kg(shop.id, order))
    return ShipmentRequest(
        order_reference=order.order_number or order.platform_order_id,
        sender=settings.sender_address(),
        recipient=addresses.recipient(order),
        parcels=(parcel,),
        idempotency_key=shipment.idempotency_key,
        service=settings.service,
        currency=order.currency,
        cod_amount=addresses.cod_amount(order),
        insured_value=order.total if settings.insure else None,
        pickup_point=addresses.pickup_point(order),
        label_format=settings.label_format,  # type: ignore[arg-type]
        sequence=shipment.id,
    )


def _ensure_row(
    shop_id: int, order: Order, parcel_index: int, settings: LabelSettings
) -> tuple[int, str | None]:
    """The shipment's id, and its reference at the courier if the row is new (the caller sets
    it on the locked row: it is written with the row's next state, in the same UPDATE)."""
    values = {
        "shop_id": shop_id,
        "order_id": order.id,
        "parcel_index": parcel_index,
        "courier": settings.courier,
        "status": "pending",
        "idempotency_key": "",
        "label_format": settings.label_format,
        "request": {},
    }
    new_id = insert_ignoring_conflict(Shipment, values)
    if new_id is not None:
        # Our reference at the courier: readable, unique, and stable across retries.
        # No commit here: the row commits with its next state, before any courier is asked
        # ("requested"), or with the label itself when nothing leaves the service; a second
        # worker's insert waits on this one's unique key meanwhile, then finds the row.
        return new_id, f"{order.order_number or order.platform_order_id}#{new_id}"
    existing = ShopScope(shop_id).first(
        Shipment, Shipment.order_id == order.id, Shipment.parcel_index == parcel_index
    )
    assert existing is not None
    return existing.id, None


def create_shipment(
    shop_id: int,
    order_id: int,
    parcel_index: int = 0,
    on_created: Callable[[Shipment], None] | None = None,
    settings: LabelSettings | None = None,
) -> Shipment:
    """Create (or finish, or find) the order's shipment; commits; returns the row.
    ``settings``: the shop's label settings if the caller already loaded them."""
    scope = ShopScope(shop_id)
    order = scope.get(Order, order_id)
    shop = db.session.get(Shop, shop_id)
    if order is None or shop is None:
        raise LookupError(f"no order {order_id} in shop {shop_id}")
    if order.cancelled:
        raise LookupError("order is cancelled")
    settings = settings or load(shop_id)
    shipment_id, reference = _ensure_row(shop_id, order, parcel_index, settings)
    shipment = scope.get(Shipment, shipment_id, for_update=True)
    assert shipment is not None
    if reference is not None:
        shipment.idempotency_key = reference
    if shipment.status not in RETRYABLE + IN_DOUBT or _in_flight(shipment):
        db.session.commit()
        return shipment
    previous = shipment.status
    # In doubt, only the courier that was asked can say whether it holds the shipment.
    courier = shipment.courier if previous in IN_DOUBT else settings.courier
    try:
        adapter = adapter_for(shop, settings, courier)
        request = build_request(shop, order, shipment, settings)
    except CourierError as exc:  # our side is wrong (settings, address): nothing was sent
        return _finish(shipment, "failed", str(exc))
    shipment.courier, shipment.label_format = courier, settings.label_format
    shipment.request = _plain(request)
    if adapter.capabilities.local:
        # Nothing is sent anywhere: the label is made in this transaction, under the row
        # lock, and a crash leaves the row as it was (pending), safe to retry.
        return _ask_courier(shipment, adapter, request, previous, on_created)
    shipment.status = "requested"
    # Set even when nothing else changed (a stale "requested" row re-claimed): _in_flight
    # reads it, and an unchanged row would get no UPDATE and keep its old time.
    shipment.updated_at = utcnow()
    db.session.commit()
    return _ask_courier(shipment, adapter, request, previous, on_created)


def _in_flight(shipment: Shipment) -> bool:
    """Another worker asked the courier moments ago and may still be waiting for its answer."""
    recent = utcnow() - timedelta(seconds=IN_FLIGHT_SECONDS)
    return shipment.status == "requested" and shipment.updated_at > recent


def _ask_courier(
    shipment: Shipment,
    adapter: Courier,
    request: ShipmentRequest,
    previous: str,
    on_created: Callable[[Shipment], None] | None,
) -> Shipment:
    try:
        result = adapter.find_shipment(request) if previous in IN_DOUBT else None
        if result is None and previous in IN_DOUBT and not adapter.capabilities.lookup_by_reference:
            message = (
                f"no answer from {adapter.key} earlier; check there for {request.idempotency_key}"
            )
            return _finish(shipment, "needs_check", message)
        if result is None:
            result = adapter.create_shipment(request)
        result = _with_label(adapter, result, request)
    except CourierUnavailable as exc:
        _finish(shipment, "unknown", str(exc))
        raise
    except AddressMismatch as exc:  # checked before any AWB: nothing exists at the courier
        return _finish(shipment, "failed", _in_merchants_words(shipment, exc))
    except CourierError as exc:
        return _finish(shipment, "failed", str(exc))
    _store(shipment, result)
    if on_created is not None:
        on_created(shipment)
    # Read before the commit expires the row (after it, each would be a query).
    ids = log_fields(shop=shipment.shop_id, shipment=shipment.id)
    db.session.commit()
    log.info("shipment created", extra=ids)
    return shipment


def _in_merchants_words(shipment: Shipment, error: AddressMismatch) -> str:
    shop = db.session.get(Shop, shipment.shop_id)
    name = CARRIER_NAMES.get(error.courier, error.courier)
    return texts.address_mismatch(error, name, shop.locale if shop else "en")


def _with_label(
    adapter: Courier, result: ShipmentResult, request: ShipmentRequest
) -> ShipmentResult:
    if result.label is not None or not result.tracking_number:
        return result
    try:
        label = adapter.get_labels([result.carrier_shipment_id], request.label_format)
    except CourierError:
        log.warning(
            "label not ready yet", extra=log_fields(carrier_shipment=result.carrier_shipment_id)
        )
        return result
    return ShipmentResult(
        **{**asdict(result), "label": label, "label_format": request.label_format}
    )


def _store(shipment: Shipment, result: ShipmentResult) -> None:
    shipment.carrier_shipment_id = result.carrier_shipment_id
    shipment.tracking_number = result.tracking_number
    shipment.tracking_url = result.tracking_url
    shipment.label = result.label
    shipment.label_format = result.label_format
    shipment.status, shipment.error = "created", None
    # Our own labels have no courier to ask; the others are followed to the door from here.
    if shipment.courier != "own" and result.tracking_number:
        shipment.tracking_status = "created"
        shipment.next_track_at = utcnow() + FIRST_TRACK_AFTER


def _finish(shipment: Shipment, status: str, error: str) -> Shipment:
    shipment.status, shipment.error = status, error[:2000]
    db.session.commit()
    log.warning("shipment not created", extra=log_fields(shipment=shipment.id, status=status))
    return shipment


def _plain(request: ShipmentRequest) -> dict[str, Any]:
    """The request as JSON, for support to see what was sent."""
    plain: dict[str, Any] = json.loads(json.dumps(asdict(request), default=str))
    return plain


def ensure_label(shop: Shop, shipment: Shipment) -> bytes | None:
    """The stored label, fetched from the courier first if it was not ready at creation."""
    if shipment.label is not None or not shipment.carrier_shipment_id:
        return shipment.label
    adapter = adapter_for(shop, load(shop.id), shipment.courier)
    shipment.label = adapter.get_labels([shipment.carrier_shipment_id], shipment.label_format)  # type: ignore[arg-type]
    db.session.commit()
    return shipment.label
