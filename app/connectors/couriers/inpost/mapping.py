"""InPost ShipX: pure request building and response parsing.

Shapes follow the ShipX documentation ("Creating a shipment in the simplified mode",
"Shipment sizes and services", "Tracking"); tests compare them with the documented bodies.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from app.connectors.couriers.base import (
    Address,
    CourierError,
    Parcel,
    ShipmentRequest,
    ShipmentResult,
    TrackingStatus,
)
from app.logs import fields as log_fields

LOCKER_SERVICES = frozenset({"inpost_locker_standard", "inpost_locker_allegro"})
TRACKING_URL = "https://inpost.pl/sledzenie-przesylek?number={number}"
LABEL_FORMATS = {"PDF_A6": ("Pdf", "A6"), "PDF_A4": ("Pdf", "normal"), "ZPL": ("Zpl", "normal")}
# ShipX statuses (GET /v1/statuses) mapped onto ours; anything else is "in_transit".
STATUSES = {
    "created": "created",
    "offers_prepared": "created",
    "offer_selected": "created",
    "confirmed": "created",
    "collected_from_sender": "picked_up",
    "taken_by_courier": "picked_up",
    "adopted_at_source_branch": "in_transit",
    "out_for_delivery": "out_for_delivery",
    "ready_to_pickup": "ready_for_pickup",
    "delivered": "delivered",
    "returned_to_sender": "returned",
    "canceled": "cancelled",
    "avizo": "exception",
    "undelivered": "exception",
}


def _money(amount: Decimal) -> float:
    # ShipX takes amounts as JSON numbers; two decimals survive a float exactly enough.
    return float(amount.quantize(Decimal("0.01")))


def _phone(number: str) -> str:
    """ShipX wants the 9 national digits: "+48 600-100-200" becomes "600100200"."""
    digits = re.sub(r"[^0-9+]", "", number)
    for prefix in ("+48", "0048"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 9:
            return digits[len(prefix) :]
    return digits


def _filled(values: dict[str, Any]) -> dict[str, Any]:
    # ShipX validates what it is given: an empty email is "invalid", an absent one is fine.
    return {key: value for key, value in values.items() if value not in ("", None)}


def _peer(address: Address, with_address: bool = True) -> dict[str, Any]:
    peer = _filled(
        {
            "company_name": address.company,
            "first_name": address.first_name,
            "last_name": address.last_name,
            "email": address.email,
            "phone": _phone(address.phone),
        }
    )
    if with_address:
        peer["address"] = _filled(
            {
                "street": address.street,
                "building_number": address.building_number,
                "city": address.city,
                "post_code": address.postal_code,
                "country_code": address.country_code,
            }
        )
    return peer


def _parcel(parcel: Parcel, locker: bool) -> dict[str, Any]:
    if locker:
        # Lockers take a size template (small/medium/large), not measurements.
        return {"template": parcel.template or "small"}
    return {
        "dimensions": {
            "length": str(int(parcel.length_cm * 10)),
            "width": str(int(parcel.width_cm * 10)),
            "height": str(int(parcel.height_cm * 10)),
            "unit": "mm",
        },
        "weight": {"amount": str(parcel.weight_kg), "unit": "kg"},
        "is_non_standard": False,
    }


def build_shipment(
    request: ShipmentRequest, sending_method: str = "parcel_locker"
) -> dict[str, Any]:
    """The POST /v1/organizations/{org}/shipments body.

    ``sending_method`` is how the shop hands parcels over: ``parcel_locker`` (drops them in a
    locker), ``dispatch_order`` (a courier collects them), ``pop`` (at a service point).
    """
    service = request.service or (
        "inpost_locker_standard" if request.pickup_point else "inpost_courier_standard"
    )
    locker = service in LOCKER_SERVICES
    if locker and not request.pickup_point:
        raise CourierError("an InPost locker shipment needs the recipient's locker (target point)")
    body: dict[str, Any] = {
        # A locker parcel is addressed to the locker: the receiver is a phone and an email.
        "receiver": _peer(request.recipient, with_address=not locker),
        "sender": _peer(request.sender),
        "parcels": [_parcel(p, locker) for p in request.parcels],
        "service": service,
        "reference": request.idempotency_key,
    }
    if request.is_return:
        body["is_return"] = True
    if locker:
        body["custom_attributes"] = {
            "target_point": request.pickup_point,
            "sending_method": sending_method,
        }
    if request.cod_amount is not None:
        body["cod"] = {"amount": _money(request.cod_amount), "currency": request.currency}
    if request.insured_value is not None:
        body["insurance"] = {"amount": _money(request.insured_value), "currency": request.currency}
    return body


def parse_shipment(data: dict[str, Any]) -> ShipmentResult:
    if "id" not in data:
        raise CourierError(f"ShipX answered without a shipment id: {str(data)[:200]}")
    number = data.get("tracking_number")
    return ShipmentResult(
        carrier_shipment_id=str(data["id"]),
        tracking_number=number,
        tracking_url=TRACKING_URL.format(number=number) if number else None,
        extra=log_fields(status=str(data.get("status", ""))),
    )


def parse_search(data: dict[str, Any], reference: str) -> ShipmentResult | None:
    """The listed shipment carrying our reference. Checked here, not trusted to the filter:
    adopting someone else's shipment would be worse than finding none."""
    for item in data.get("items") or []:
        if item.get("reference") == reference:
            return parse_shipment(item)
    return None


def parse_error(data: Any) -> str:
    """ShipX errors: {"status", "error", "message", "details": {field: [reasons]}}."""
    if not isinstance(data, dict):
        return str(data)[:500]
    message = data.get("message") or data.get("error") or "ShipX refused the request"
    details = data.get("details")
    if isinstance(details, dict) and details:
        parts = [f"{field}: {reason}" for field, reason in sorted(details.items())]
        message = f"{message} ({'; '.join(parts)})"
    return str(message)


def parse_tracking(data: dict[str, Any]) -> TrackingStatus:
    courier_status = str(data.get("status", ""))
    details = data.get("tracking_details") or []
    return TrackingStatus(
        status=STATUSES.get(courier_status, "in_transit" if courier_status else "unknown"),
        courier_status=courier_status,
        at=details[0].get("datetime") if details else data.get("updated_at"),
    )
