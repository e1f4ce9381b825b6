"""What an own label shows, shared by the PDF and the ZPL drawing."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from app.connectors.couriers.base import Address


@dataclass(frozen=True)
class LabelContent:
    tracking_number: str
    sender: Address
    recipient: Address
    order_reference: str
    parcel_count: int = 1
    cod_amount: Decimal | None = None
    currency: str = "PLN"
    pickup_point: str | None = None

    def address_lines(self, who: Address) -> list[str]:
        lines = [who.company, who.name, who.street_line, f"{who.postal_code} {who.city}"]
        lines.append(who.country_code)
        if who.phone:
            lines.append(f"tel. {who.phone}")
        return [line for line in lines if line.strip()]

    def cod_line(self) -> str | None:
        if self.cod_amount is None:
            return None
        return f"COD {self.cod_amount:.2f} {self.currency}"

    def parcel_line(self, index: int) -> str:
        return f"Parcel {index + 1}/{self.parcel_count}"


def _address(data: dict[str, Any]) -> Address:
    known = set(Address.__dataclass_fields__)
    return Address(**{k: v for k, v in data.items() if k in known})


def content_from_request(request: dict[str, Any], tracking_number: str) -> LabelContent:
    """The label again, from the request JSON stored with the shipment (for bulk print)."""
    cod = request.get("cod_amount")
    return LabelContent(
        tracking_number=tracking_number,
        sender=_address(request["sender"]),
        recipient=_address(request["recipient"]),
        order_reference=str(request["order_reference"]),
        parcel_count=max(len(request.get("parcels") or ()), 1),
        cod_amount=Decimal(cod) if cod is not None else None,
        currency=str(request.get("currency") or "PLN"),
        pickup_point=request.get("pickup_point"),
    )
