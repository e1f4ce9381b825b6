"""Cargus (Romania), API v3: pure request building and response parsing.

``POST Awbs`` takes the body documented for ``AwbPickup`` (Cargus API v3, "Transport Waybills
Administration") with the sender given as one of the shop's pickup points
(``{"LocationId": ...}``); Ship & Go delivery is service 38 with ``DeliveryPudoPoint``.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from app.connectors.couriers.base import (
    CourierError,
    ShipmentRequest,
    ShipmentResult,
    TrackingEvent,
    TrackingStatus,
)

SERVICE_STANDARD = 34  # Economic Standard, up to 31 kg
SERVICE_SHIP_AND_GO = 38  # PUDO delivery
PAYER_SENDER = 1
PARCEL = 1
ROMANIA = 1  # Cargus's CountryId for Romania
LABEL_FORMATS = {"PDF_A4": 0, "PDF_A6": 1}  # AwbDocuments format: 0 = A4, 1 = label 10x14
TRACKING_URL = "https://www.cargus.ro/personal/urmareste-coletul/?tracking_number={number}"
# Cargus publishes no list of AwbTrace event ids; 21 is "delivered" in every public client that
# reads them (see tests/fixtures/couriers/README.md). Other events are read by their words.
EVENT_DELIVERED = 21
# Words of a Cargus event description and what they mean for us, checked in this order.
EVENT_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("returned", ("retur", "returned")),
    ("delivered", ("livrat", "delivered", "confirmat")),
    ("out_for_delivery", ("in livrare", "spre livrare", "out for delivery")),
    ("exception", ("refuz", "avizat", "adresa", "lipsa", "refused", "not at home")),
    ("ready_for_pickup", ("ship & go", "ship&go", "punct")),
    ("picked_up", ("ridicat", "preluat", "picked up")),
)


@dataclass(frozen=True)
class Account:
    """Per-shop Cargus facts: the pickup point parcels leave from, the shop's price table."""

    pickup_location_id: int
    price_table_id: int = 0


def _number(value: Decimal) -> float | int:
    return int(value) if value == value.to_integral_value() else float(value)


def build_awb(request: ShipmentRequest, account: Account) -> dict[str, Any]:
    to = request.recipient
    if not to.county:
        raise CourierError("Cargus needs the recipient's county (judeţ)")
    weight = sum((p.weight_kg for p in request.parcels), Decimal("0"))
    body: dict[str, Any] = {
        "Sender": {"LocationId": account.pickup_location_id},
        "Recipient": {
            "Name": to.company or to.name,
            "CountyName": to.county,
            "LocalityName": to.city,
            "AddressText": to.street_line,
            "ContactPerson": to.name,
            "PhoneNumber": to.phone,
            "CodPostal": to.postal_code,
            "Email": to.email,
        },
        "Parcels": len(request.parcels),
        "Envelopes": 0,
        "TotalWeight": _number(weight),
        "ServiceId": _service(request),
        "DeclaredValue": _number(request.insured_value or Decimal("0")),
        "CashRepayment": _number(request.cod_amount) if request.cod_amount else 0,
        "BankRepayment": 0,
        "OtherRepayment": "",
        "OpenPackage": False,
        "PriceTableId": account.price_table_id,
        "ShipmentPayer": PAYER_SENDER,
        "SaturdayDelivery": False,
        "MorningDelivery": False,
        "Observations": f"Order {request.order_reference}",
        "PackageContent": f"Order {request.order_reference}",
        # Our reference: printed on the AWB and readable back from Cargus's AWB list.
        "CustomString": request.idempotency_key,
        "ParcelCodes": [
            {
                "Code": str(index),
                "Type": PARCEL,
                "Weight": _number(parcel.weight_kg),
                "Length": _number(parcel.length_cm),
                "Width": _number(parcel.width_cm),
                "Height": _number(parcel.height_cm),
                "ParcelContent": f"Order {request.order_reference}",
            }
            for index, parcel in enumerate(request.parcels)
        ],
    }
    if request.pickup_point:
        body["DeliveryPudoPoint"] = int(request.pickup_point)
    return body


def _service(request: ShipmentRequest) -> int:
    if request.service:
        return int(request.service)
    return SERVICE_SHIP_AND_GO if request.pickup_point else SERVICE_STANDARD


def parse_token(data: Any) -> str:
    """LoginUser answers the token itself, as a JSON string."""
    if not isinstance(data, str) or not data:
        raise CourierError("Cargus login answered without a token")
    return data


def parse_awb(data: Any) -> ShipmentResult:
    """Awbs answers the new AWB's bar code (a JSON number or string)."""
    number = data.get("BarCode") if isinstance(data, dict) else data
    if isinstance(number, bool) or not isinstance(number, int | str) or not str(number).strip():
        raise CourierError(f"Cargus answered without an AWB number: {str(data)[:200]}")
    return ShipmentResult(
        carrier_shipment_id=str(number),
        tracking_number=str(number),
        tracking_url=TRACKING_URL.format(number=number),
    )


def parse_label(data: Any) -> bytes:
    """AwbDocuments answers the PDF base64-encoded, as a JSON string."""
    try:
        return base64.b64decode(str(data), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CourierError("Cargus answered a label that is not a base64 PDF") from exc


def parse_error(data: Any) -> str:
    if isinstance(data, dict):
        return str(data.get("message") or data.get("Message") or data)[:500]
    if isinstance(data, list):
        return "; ".join(str(item) for item in data)[:500]
    return str(data)[:500]


def event_status(description: str, event_id: Any = None) -> str:
    if event_id == EVENT_DELIVERED:
        return "delivered"
    text = description.lower()
    for status, words in EVENT_WORDS:
        if any(word in text for word in words):
            return status
    return "in_transit"


def parse_tracking(data: Any, number: str) -> TrackingStatus:
    """AwbTrace: ``[{"Code", "Event": [{"Date", "EventId", "Description", "LocalityName"}]}]``."""
    rows = data if isinstance(data, list) else []
    row = next((r for r in rows if isinstance(r, dict) and str(r.get("Code")) == number), None)
    if row is None:
        return TrackingStatus(status="unknown", courier_status="")
    events = [e for e in row.get("Event") or [] if isinstance(e, dict)]
    events.sort(key=lambda e: str(e.get("Date") or ""))
    history = tuple(
        TrackingEvent(
            status=event_status(str(e.get("Description") or ""), e.get("EventId")),
            courier_status=str(e.get("Description") or ""),
            at=e.get("Date"),
            location=str(e.get("LocalityName") or ""),
        )
        for e in events
    )
    if not history:
        return TrackingStatus(status="created", courier_status="")
    last = history[-1]
    return TrackingStatus(
        status=last.status, courier_status=last.courier_status, at=last.at, history=history
    )


def parse_counties(data: Any) -> dict[str, int]:
    """Counties?countryId=1: ``[{"CountyId", "Name", "Abbreviation"}]`` → name → id."""
    rows = data if isinstance(data, list) else []
    return {
        str(r.get("Name") or ""): int(r["CountyId"])
        for r in rows
        if isinstance(r, dict) and r.get("CountyId") is not None
    }


def parse_localities(data: Any, county: str) -> list[tuple[str, str]]:
    """Localities?countryId=1&countyId=..: ``[{"LocalityId", "Name", ...}]``."""
    rows = data if isinstance(data, list) else []
    return [(county, str(r.get("Name") or "")) for r in rows if isinstance(r, dict)]


def parse_pudo_points(data: Any) -> list[dict[str, Any]]:
    """PUDO_Get: the Ship & Go points, as the few fields a merchant or shopper picks by."""
    rows = data if isinstance(data, list) else []
    return [
        {
            "id": r.get("Id"),
            "name": r.get("Name"),
            "city": r.get("City"),
            "county": r.get("County"),
            "address": f"{r.get('StreetName') or ''} {r.get('StreetNo') or ''}".strip(),
            "postal_code": r.get("PostalCode"),
        }
        for r in rows
        if isinstance(r, dict)
    ]
