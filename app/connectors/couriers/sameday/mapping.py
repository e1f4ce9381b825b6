"""Sameday (Romania): pure request building and response parsing.

``POST /api/awb`` takes a form body with PHP-style nested keys (``awbRecipient[name]``,
``parcels[0][weight]``); the field names and order follow Sameday's own PHP SDK
(``SamedayPostAwbRequest::buildRequest``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from app.connectors.couriers.base import (
    CourierError,
    ShipmentRequest,
    ShipmentResult,
    TrackingStatus,
)
from app.logs import fields as log_fields

AWB_PAYMENT_CLIENT = 1  # the sender (the shop) pays the AWB
PACKAGE_PARCEL = 0
PERSON_INDIVIDUAL = 0
LABEL_SIZES = {"PDF_A6": "A6", "PDF_A4": "A4"}
TRACKING_URL = "https://sameday.ro/#awb={number}"


@dataclass(frozen=True)
class Account:
    """Per-shop Sameday facts that are not in the order: where parcels are picked up."""

    pickup_point_id: int
    service_id: int
    contact_person_id: int | None = None
    package_type: int = PACKAGE_PARCEL


def _num(value: Decimal | int) -> str:
    # PHP's http_build_query prints 1.0 as "1": match it so bodies compare field by field.
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def build_awb(request: ShipmentRequest, account: Account) -> list[tuple[str, str]]:
    """The form fields of POST /api/awb, in the SDK's order; None values are left out."""
    weight = sum((p.weight_kg for p in request.parcels), Decimal("0"))
    service = int(request.service) if request.service else account.service_id
    fields: list[tuple[str, Any]] = [
        ("pickupPoint", account.pickup_point_id),
        ("contactPerson", account.contact_person_id),
        ("packageType", account.package_type),
        ("packageNumber", len(request.parcels)),
        ("packageWeight", _num(weight)),
        ("service", service),
        ("awbPayment", AWB_PAYMENT_CLIENT),
        ("cashOnDelivery", _num(request.cod_amount or 0)),
        ("insuredValue", _num(request.insured_value or 0)),
        ("thirdPartyPickup", 0),
    ]
    fields += _recipient(request)
    for index, parcel in enumerate(request.parcels):
        fields += [
            (f"parcels[{index}][weight]", _num(parcel.weight_kg)),
            (f"parcels[{index}][width]", _num(parcel.width_cm)),
            (f"parcels[{index}][length]", _num(parcel.length_cm)),
            (f"parcels[{index}][height]", _num(parcel.height_cm)),
        ]
    fields += [
        ("observation", f"Order {request.order_reference}"),
        ("clientInternalReference", request.idempotency_key),
    ]
    if request.pickup_point:
        fields.append(("lockerLastMile", request.pickup_point))
    fields.append(("currency", request.currency))
    return [(key, str(value)) for key, value in fields if value is not None]


def _recipient(request: ShipmentRequest) -> list[tuple[str, Any]]:
    to = request.recipient
    if not to.county:
        raise CourierError("Sameday needs the recipient's county (judeţ)")
    fields: list[tuple[str, Any]] = [
        ("awbRecipient[name]", to.name),
        ("awbRecipient[phoneNumber]", to.phone),
        ("awbRecipient[address]", to.street_line),
        ("awbRecipient[personType]", PERSON_INDIVIDUAL),
        ("awbRecipient[cityString]", to.city),
        ("awbRecipient[countyString]", to.county),
        ("awbRecipient[postalCode]", to.postal_code),
        ("awbRecipient[email]", to.email),
    ]
    if to.company:
        fields.append(("awbRecipient[companyName]", to.company))
    return fields


def parse_token(data: dict[str, Any]) -> str:
    token = data.get("token")
    if not token:
        raise CourierError("Sameday authentication answered without a token")
    return str(token)


def parse_awb(data: dict[str, Any]) -> ShipmentResult:
    number = data.get("awbNumber")
    if not number:
        raise CourierError(f"Sameday answered without an AWB number: {str(data)[:200]}")
    return ShipmentResult(
        carrier_shipment_id=str(number),
        tracking_number=str(number),
        tracking_url=TRACKING_URL.format(number=number),
        extra=log_fields(pdf_link=str(data.get("pdfLink") or "")),
    )


def parse_error(data: Any) -> str:
    """Sameday 400s: {"code", "message", "errors": {"children": {field: {"errors": [...]}}}}."""
    if not isinstance(data, dict):
        return str(data)[:500]
    message = str(data.get("message") or "Sameday refused the request")
    reasons = list(_field_errors(data.get("errors"), ""))
    return f"{message} ({'; '.join(reasons)})" if reasons else message


def _field_errors(node: Any, path: str) -> Any:
    if not isinstance(node, dict):
        return
    for error in node.get("errors") or []:
        yield f"{path or 'awb'}: {error}"
    for name, child in (node.get("children") or {}).items():
        yield from _field_errors(child, f"{path}.{name}" if path else name)


def parse_status(data: dict[str, Any]) -> TrackingStatus:
    summary = data.get("expeditionSummary") or {}
    current = data.get("expeditionStatus") or {}
    if summary.get("delivered"):
        status = "delivered"
    elif summary.get("canceled"):
        status = "cancelled"
    elif current.get("statusId") == 1:
        status = "created"  # "AWB Emis": the AWB exists, nothing picked up yet
    else:
        status = "in_transit" if current else "unknown"
    return TrackingStatus(
        status=status,
        courier_status=str(current.get("status") or ""),
        at=summary.get("deliveredAt") or current.get("statusDate"),
    )
