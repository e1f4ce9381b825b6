"""Own labels: for the shop's own fleet or manual drop-off, no courier API involved.

We issue the tracking number, draw the label (A6 PDF or ZPL) and serve the tracking page.
"""

from __future__ import annotations

from app.connectors.couriers.base import (
    Capabilities,
    CourierError,
    LabelFormat,
    ShipmentRequest,
    ShipmentResult,
    TrackingStatus,
)
from app.connectors.couriers.own.content import LabelContent
from app.connectors.couriers.own.numbers import tracking_number
from app.connectors.couriers.own.pdf import render_pdf
from app.connectors.couriers.own.zpl import render_zpl


def label_content(request: ShipmentRequest, number: str) -> LabelContent:
    return LabelContent(
        tracking_number=number,
        sender=request.sender,
        recipient=request.recipient,
        order_reference=request.order_reference,
        parcel_count=len(request.parcels),
        cod_amount=request.cod_amount,
        currency=request.currency,
        pickup_point=request.pickup_point,
    )


class OwnLabels:
    key = "own"
    # Nothing is sent anywhere, so "not found" is a true answer and re-drawing is safe.
    capabilities = Capabilities(lookup_by_reference=True, local=True)

    def __init__(self, *, prefix: str = "SF", tracking_url: str = "") -> None:
        self.prefix = prefix
        # A template with {number}; the service's own tracking page.
        self.tracking_url = tracking_url

    def create_shipment(self, request: ShipmentRequest) -> ShipmentResult:
        if request.sequence <= 0:
            raise CourierError("own labels need the shipment's sequence number")
        number = tracking_number(self.prefix, request.sequence)
        content = label_content(request, number)
        label = (
            render_zpl(content).encode() if request.label_format == "ZPL" else render_pdf(content)
        )
        return ShipmentResult(
            carrier_shipment_id=number,
            tracking_number=number,
            tracking_url=self.tracking_url.format(number=number) if self.tracking_url else None,
            label=label,
            label_format="ZPL" if request.label_format == "ZPL" else "PDF_A6",
        )

    def find_shipment(self, request: ShipmentRequest) -> ShipmentResult | None:
        # Nothing leaves the service, so a shipment never half-exists elsewhere.
        return None

    def get_labels(self, ids: list[str], label_format: LabelFormat) -> bytes:
        raise CourierError("own labels are drawn once, when the shipment is created")

    def track(self, tracking_number: str) -> TrackingStatus:
        raise CourierError("own-fleet status is kept by Storeflow itself")

    def cancel(self, carrier_shipment_id: str) -> None:
        """Nothing to tell anyone: the label simply is not used."""
