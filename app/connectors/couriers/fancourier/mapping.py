"""FAN Courier (Romania), API v2.0: pure request building and response parsing.

``POST /intern-awb`` takes ``{"clientId", "shipments": [{"info": {...}, "recipient": {...}}]}``;
field names as public clients of FAN Courier's API v2.0 send them (its PDF documentation was not
readable here: tests/fixtures/couriers/README.md says what was checked). Tracking events
carry FAN's codes (``C0`` picked up, ``H..`` hub scans, ``S..`` delivery attempts, ``S2``
delivered); the mapping onto our statuses is ``EVENT_STATUSES`` plus a rule per prefix.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from app.connectors.couriers.base import (
    CourierError,
    PickupRequest,
    ShipmentRequest,
    ShipmentResult,
    TrackingEvent,
    TrackingStatus,
)

SERVICE_STANDARD = "Standard"
SERVICE_COD = "Cont Colector"  # cash on delivery paid into the shop's bank account
SERVICE_FANBOX = "FANbox"
PAYMENT_SENDER = "expeditor"  # the shop pays the AWB
LABEL_SIZES = {"PDF_A4": "A4", "PDF_A6": "A6"}
TRACKING_URL = "https://www.fancourier.ro/awb-tracking/?tracking={number}"

# FAN event codes whose meaning is not given by their prefix alone.
EVENT_STATUSES = {
    "C0": "picked_up",  # Expeditie ridicata
    "C1": "picked_up",  # Expeditie preluata spre livrare
    "S1": "out_for_delivery",  # Expeditie in livrare
    "S2": "delivered",  # Livrat
    "S8": "ready_for_pickup",  # in the FAN office / FANbox, waiting for the recipient
    "S43": "returned",
}
# Words in an event name that mean the parcel goes back to the shop, whatever its code.
RETURN_WORDS = ("retur", "returned")


@dataclass(frozen=True)
class Account:
    """Per-shop FAN facts that are not in the order: the client id and the COD bank account."""

    client_id: int
    bank: str = ""
    iban: str = ""


def _number(value: Decimal) -> float | int:
    return int(value) if value == value.to_integral_value() else float(value)


def build_awb(request: ShipmentRequest, account: Account) -> dict[str, Any]:
    """The body of POST /intern-awb for one shipment."""
    weight = sum((p.weight_kg for p in request.parcels), Decimal("0"))
    first = request.parcels[0]
    cod = request.cod_amount
    info: dict[str, Any] = {
        "service": _service(request),
        "bank": account.bank if cod else "",
        "bankAccount": account.iban if cod else "",
        "packages": {"parcel": len(request.parcels), "envelope": 0},
        "weight": _number(weight),
        "cod": _number(cod) if cod else 0,
        "declaredValue": _number(request.insured_value or Decimal("0")),
        "payment": PAYMENT_SENDER,
        "observation": f"Order {request.order_reference}",
        "content": f"Order {request.order_reference}",
        "dimensions": {
            "length": _number(first.length_cm),
            "height": _number(first.height_cm),
            "width": _number(first.width_cm),
        },
        # Our reference, printed on the AWB and in FAN's reports: how a person finds it again.
        "costCenter": request.idempotency_key,
        "options": [],
    }
    return {"clientId": account.client_id, "shipments": [{"info": info, "recipient": _to(request)}]}


def _service(request: ShipmentRequest) -> str:
    if request.service:
        return request.service
    if request.pickup_point:
        return SERVICE_FANBOX
    return SERVICE_COD if request.cod_amount else SERVICE_STANDARD


def _to(request: ShipmentRequest) -> dict[str, Any]:
    to = request.recipient
    if not to.county:
        raise CourierError("FAN Courier needs the recipient's county (judeţ)")
    address: dict[str, Any] = {
        "county": to.county,
        "locality": to.city,
        "street": to.street,
        "streetNo": to.building_number,
        "zipCode": to.postal_code,
        "apartment": to.flat_number,
    }
    if request.pickup_point:
        address["pickupLocationId"] = request.pickup_point
    return {
        "name": to.company or to.name,
        "contactPerson": to.name,
        "phone": to.phone,
        "email": to.email,
        "address": address,
    }


def parse_token(data: Any) -> str:
    token = (data.get("data") or {}).get("token") if isinstance(data, dict) else None
    if not token:
        raise CourierError("FAN Courier login answered without a token")
    return str(token)


def parse_awb(data: Any) -> ShipmentResult:
    """``{"response": [{"awbNumber": ..., "errors": ...}]}``: one entry per shipment sent."""
    entries = data.get("response") if isinstance(data, dict) else None
    entry = entries[0] if isinstance(entries, list) and entries else {}
    number = entry.get("awbNumber") if isinstance(entry, dict) else None
    if not number:
        errors = entry.get("errors") if isinstance(entry, dict) else None
        raise CourierError(f"FAN Courier refused the AWB: {_flatten(errors) or str(data)[:300]}")
    return ShipmentResult(
        carrier_shipment_id=str(number),
        tracking_number=str(number),
        tracking_url=TRACKING_URL.format(number=number),
    )


def parse_error(data: Any) -> str:
    if not isinstance(data, dict):
        return str(data)[:500]
    message = str(data.get("message") or "FAN Courier refused the request")
    details = _flatten(data.get("errors"))
    return f"{message} ({details})" if details else message


def _flatten(errors: Any) -> str:
    if isinstance(errors, dict):
        return "; ".join(f"{k}: {_flatten(v)}" for k, v in errors.items())
    if isinstance(errors, list):
        return "; ".join(_flatten(e) for e in errors)
    return "" if errors is None else str(errors)


def event_status(code: str, name: str) -> str:
    """Our status for one FAN event."""
    if any(word in name.lower() for word in RETURN_WORDS):
        return "returned"
    if code in EVENT_STATUSES:
        return EVENT_STATUSES[code]
    if code.startswith("C"):
        return "picked_up"
    if code.startswith("H"):
        return "in_transit"
    if code.startswith("S"):
        return "exception"  # refused, wrong address, not at home...: someone should look
    return "in_transit"


def parse_tracking(data: Any, number: str) -> TrackingStatus:
    """``GET /reports/awb/tracking``: ``{"data": [{"awbNumber", "events": [...]}]}``."""
    rows = data.get("data") if isinstance(data, dict) else None
    row = next(
        (r for r in rows or [] if isinstance(r, dict) and str(r.get("awbNumber")) == number),
        None,
    )
    if row is None:
        return TrackingStatus(status="unknown", courier_status="")
    history = tuple(
        TrackingEvent(
            status=event_status(str(e.get("id") or ""), str(e.get("name") or "")),
            courier_status=f"{e.get('id') or ''} {e.get('name') or ''}".strip(),
            at=e.get("date"),
            location=str(e.get("location") or ""),
        )
        for e in row.get("events") or []
        if isinstance(e, dict)
    )
    if not history:
        return TrackingStatus(status="created", courier_status="")
    last = history[-1]
    return TrackingStatus(
        status=last.status, courier_status=last.courier_status, at=last.at, history=history
    )


def parse_localities(data: Any) -> list[tuple[str, str]]:
    """``GET /reports/localities``: ``{"data": [{"id", "name", "county", ...}]}``."""
    rows = data.get("data") if isinstance(data, dict) else None
    return [
        (str(r.get("county") or ""), str(r.get("name") or ""))
        for r in rows or []
        if isinstance(r, dict)
    ]


def build_pickup(request: PickupRequest, account: Account) -> dict[str, Any]:
    """The body of POST /order (a courier to collect parcels from the client's address)."""
    return {
        "clientId": account.client_id,
        "info": {
            "awbnumber": "",
            "packages": {"parcel": request.parcels, "envelope": 0},
            "weight": _number(request.weight_kg),
            "dimensions": {"width": 0, "length": 0, "height": 0},
            "orderType": SERVICE_STANDARD,
            "pickupDate": request.day.isoformat(),
            "pickupHours": {"first": request.ready_from, "second": request.ready_until},
            "observations": "",
        },
    }


def parse_pickup(data: Any) -> str:
    """The courier order's id when FAN gives one, else its message."""
    if isinstance(data, dict):
        inner = data.get("data")
        if isinstance(inner, dict) and inner.get("id"):
            return str(inner["id"])
        return str(data.get("message") or data.get("status") or "ordered")[:200]
    return str(data)[:200]
