"""InPost ShipX adapter (Poland): bearer token + organisation id, thin HTTP around ``mapping``."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import requests

from app.connectors.couriers.base import (
    Capabilities,
    CourierError,
    CourierUnavailable,
    LabelFormat,
    ShipmentRequest,
    ShipmentResult,
    TrackingStatus,
)
from app.connectors.couriers.http import check, send
from app.connectors.couriers.inpost import mapping

PRODUCTION = "https://api-shipx-pl.easypack24.net"
SANDBOX = "https://sandbox-api-shipx-pl.easypack24.net"


class InPost:
    key = "inpost"
    capabilities = Capabilities(lookup_by_reference=True)

    def __init__(
        self,
        *,
        token: str,
        organization_id: str,
        sandbox: bool = False,
        sending_method: str = "parcel_locker",
        confirm_attempts: int = 5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base = SANDBOX if sandbox else PRODUCTION
        self.organization_id = organization_id
        self.sending_method = sending_method
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.confirm_attempts = confirm_attempts
        self.sleep = sleep

    def _get(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        response = send(self.session, method, f"{self.base}{path}", **kwargs)
        return check(response, mapping.parse_error)

    def _json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self._get(method, path, **kwargs)
        return response.json() if response.content else {}

    def create_shipment(self, request: ShipmentRequest) -> ShipmentResult:
        body = mapping.build_shipment(request, self.sending_method)
        data = self._json("POST", f"/v1/organizations/{self.organization_id}/shipments", json=body)
        return self._confirmed(mapping.parse_shipment(data))

    def _confirmed(self, result: ShipmentResult) -> ShipmentResult:
        # ShipX buys the offer asynchronously: the tracking number appears once confirmed.
        attempt = 0
        while result.tracking_number is None and attempt < self.confirm_attempts:
            self.sleep(min(2**attempt * 0.5, 5))
            attempt += 1
            try:
                data = self._json("GET", f"/v1/shipments/{result.carrier_shipment_id}")
            except CourierError as exc:
                # The shipment exists at InPost: never let this read as "nothing was sent".
                raise CourierUnavailable(f"shipment created, confirmation failed: {exc}") from exc
            result = mapping.parse_shipment(data)
        if result.tracking_number is None:
            # Still unconfirmed: looked up again by our reference on the retry, not re-created.
            raise CourierUnavailable(f"shipment {result.carrier_shipment_id} not confirmed yet")
        return result

    def find_shipment(self, request: ShipmentRequest) -> ShipmentResult | None:
        data = self._json(
            "GET",
            f"/v1/organizations/{self.organization_id}/shipments",
            params={"reference": request.idempotency_key},
        )
        found = mapping.parse_search(data, request.idempotency_key)
        return self._confirmed(found) if found else None

    def get_labels(self, ids: list[str], label_format: LabelFormat) -> bytes:
        fmt, kind = mapping.LABEL_FORMATS[label_format]
        params: dict[str, Any] = {"format": fmt, "type": kind}
        if len(ids) == 1:
            path = f"/v1/shipments/{ids[0]}/label"
        else:
            path = f"/v1/organizations/{self.organization_id}/shipments/labels"
            params["shipment_ids[]"] = ids
        return self._get("GET", path, params=params).content

    def track(self, tracking_number: str) -> TrackingStatus:
        return mapping.parse_tracking(self._json("GET", f"/v1/tracking/{tracking_number}"))

    def cancel(self, carrier_shipment_id: str) -> None:
        self._json("DELETE", f"/v1/shipments/{carrier_shipment_id}")
