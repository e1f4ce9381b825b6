"""FAN Courier adapter (Romania, API v2.0): bearer token from /login, re-login once on 401,
the recipient's locality checked against FAN's list before an AWB is asked for."""

from __future__ import annotations

from typing import Any

import requests

from app.connectors.couriers import localities
from app.connectors.couriers.base import (
    Capabilities,
    LabelFormat,
    PickupRequest,
    ShipmentRequest,
    ShipmentResult,
    TrackingStatus,
)
from app.connectors.couriers.fancourier import mapping
from app.connectors.couriers.http import TokenClient, send

API = "https://api.fancourier.ro"


class FanCourier(TokenClient):
    key = "fan_courier"
    # FAN has no lookup by our reference: after a lost answer the shipment is held for a
    # person (our reference is the AWB's cost centre), never sent a second time.
    capabilities = Capabilities(pickup_orders=True)
    login_refused = "FAN Courier login refused: check the username and password"

    def __init__(
        self,
        *,
        username: str,
        password: str,
        account: mapping.Account,
        token: str | None = None,
        api: str = API,
    ) -> None:
        super().__init__(token)
        self.api = api
        self.username, self.password = username, password
        self.account = account
        self._localities: dict[str, list[tuple[str, str]]] = {}

    def _login_response(self) -> requests.Response:
        credentials = {"username": self.username, "password": self.password}
        return send(self.session, "POST", f"{self.api}/login", data=credentials)

    def _parse_token(self, data: Any) -> str:
        return mapping.parse_token(data)

    def _parse_error(self, data: Any) -> str:
        return mapping.parse_error(data)

    def _headers(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def _url(self, path: str) -> str:
        return f"{self.api}{path}"

    def check_address(self, request: ShipmentRequest) -> None:
        """AddressMismatch unless FAN knows the recipient's county and locality."""
        county = request.recipient.county
        if county not in self._localities:
            response = self._call("GET", "/reports/localities", params={"county": county})
            self._localities[county] = mapping.parse_localities(response.json())
        localities.check(self.key, request.recipient, self._localities[county])

    def create_shipment(self, request: ShipmentRequest) -> ShipmentResult:
        body = mapping.build_awb(request, self.account)  # refuses a missing county first
        self.check_address(request)
        result = mapping.parse_awb(self._call("POST", "/intern-awb", json=body).json())
        return self._with_label(result, request.label_format)

    def get_labels(self, ids: list[str], label_format: LabelFormat) -> bytes:
        params: dict[str, Any] = {"clientId": self.account.client_id, "awbs[]": ids}
        if label_format == "ZPL":
            params["zpl"] = 1
        else:
            params.update(pdf=1, format=mapping.LABEL_SIZES[label_format])
        return self._call("GET", "/awb/label", params=params).content

    def track(self, tracking_number: str) -> TrackingStatus:
        params = {"clientId": self.account.client_id, "awb[]": [tracking_number]}
        response = self._call("GET", "/reports/awb/tracking", params=params)
        return mapping.parse_tracking(response.json(), tracking_number)

    def cancel(self, carrier_shipment_id: str) -> None:
        params = {"clientId": self.account.client_id, "awb": carrier_shipment_id}
        self._call("DELETE", "/awb", params=params)

    def order_pickup(self, request: PickupRequest) -> str:
        body = mapping.build_pickup(request, self.account)
        return mapping.parse_pickup(self._call("POST", "/order", json=body).json())
