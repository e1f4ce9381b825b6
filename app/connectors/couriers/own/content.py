"""What an own label shows, shared by the PDF and the ZPL drawing."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

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
