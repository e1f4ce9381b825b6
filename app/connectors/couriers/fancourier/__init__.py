"""FAN Courier adapter (Romania, API v2.0): bearer token from /login, re-login once on 401,
the recipient's locality checked against FAN's list before an AWB is asked for."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests

from app.connectors.couriers import localities
from app.connectors.couriers.base import (
    Capabilities,
    CourierError,
    LabelFormat,
    PickupRequest,
    ShipmentRequest,
    ShipmentResult,
    TrackingStatus,
)
from app.connectors.couriers.fancourier import mapping
from app.connectors.couriers.http import check, send

API = "https://api.fancourier.ro"


class FanCourier:
    key = "fan_courier"
    # FAN has no lookup by our reference: after a lost answer the shipment is held for a
    # person (our reference is the AWB's cost centre), never sent a second time.
    capabilities = Capabilities(pickup_orders=True)

    def __init__(
        self,
        *,
        username: str,
        password: str,
        account: mapping.Account,
        token: str | None = None,
        api: str = API,
    ) -> None:
        self.api = api
        self.username, self.password = username, password
        self.account = account
        self.token = token
        self.on_login: Callable[[str], None] | None = None
        self.session = requests.Session()
        self._localities: dict[str, list[tuple[str, str]]] = {}

    def _login(self) -> str:
        response = send(
            self.session,
            "POST",
            f"{self.api}/login",
            data={"username": self.username, "password": self.password},
        )
        if response.status_code >= 400:
            raise CourierError("FAN Courier login refused: check the username and password")
        self.token = mapping.parse_token(response.json())
        if self.on_login is not None:
            self.on_login(self.token)
        return self.token

    def _call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Send with the token; on 401 (the token expired) log in again and retry once."""
        token = self.token or self._login()
        url = f"{self.api}{path}"
        response = send(
            self.session, method, url, headers={"Authorization": f"Bearer {token}"}, **kwargs
        )
        if response.status_code == 401:
            token = self._login()
            response = send(
                self.session, method, url, headers={"Authorization": f"Bearer {token}"}, **kwargs
            )
        return check(response, mapping.parse_error)

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
        try:
            label: bytes | None = self.get_labels(
                [result.carrier_shipment_id], request.label_format
            )
        except CourierError:
            label = None  # the AWB exists: keep its number, fetch the label later
        return ShipmentResult(
            carrier_shipment_id=result.carrier_shipment_id,
            tracking_number=result.tracking_number,
            tracking_url=result.tracking_url,
            label=label,
            label_format=request.label_format,
        )

    def find_shipment(self, request: ShipmentRequest) -> ShipmentResult | None:
        return None

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
