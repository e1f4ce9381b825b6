"""Cargus adapter (Romania, API v3): subscription key on every call plus a token from
``LoginUser`` (24 h; re-login once on 401); the recipient's locality checked first."""

from __future__ import annotations

import json
from typing import Any

import requests

from app.connectors.couriers import localities
from app.connectors.couriers.base import (
    AddressMismatch,
    Capabilities,
    CourierError,
    LabelFormat,
    PickupRequest,
    ShipmentRequest,
    ShipmentResult,
    TrackingStatus,
)
from app.connectors.couriers.cargus import mapping
from app.connectors.couriers.http import TokenClient, send

API = "https://urgentcargus.azure-api.net/api"


class Cargus(TokenClient):
    key = "cargus"
    # No lookup by our reference in the documented API: a lost answer holds the shipment for a
    # person (our reference is the AWB's CustomString), never a second AWB.
    capabilities = Capabilities(pickup_orders=True)
    login_refused = "Cargus login refused: check the subscription key, user, password"

    def __init__(
        self,
        *,
        subscription_key: str,
        username: str,
        password: str,
        account: mapping.Account,
        token: str | None = None,
        api: str = API,
    ) -> None:
        super().__init__(token)
        self.api = api
        self.subscription_key = subscription_key
        self.username, self.password = username, password
        self.account = account
        self._counties: dict[str, int] | None = None
        self._localities: dict[str, list[tuple[str, str]]] = {}

    def _headers(self, token: str | None) -> dict[str, str]:
        headers = {"Ocp-Apim-Subscription-Key": self.subscription_key}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return headers

    def _login_response(self) -> requests.Response:
        return send(
            self.session,
            "POST",
            f"{self.api}/LoginUser",
            headers=self._headers(None),
            json={"UserName": self.username, "Password": self.password},
        )

    def _parse_token(self, data: Any) -> str:
        return mapping.parse_token(data)

    def _parse_error(self, data: Any) -> str:
        return mapping.parse_error(data)

    def _url(self, path: str) -> str:
        return f"{self.api}/{path}"

    def check_address(self, request: ShipmentRequest) -> None:
        """AddressMismatch unless Cargus knows the recipient's county and locality."""
        address = request.recipient
        if self._counties is None:
            data = self._call("GET", "Counties", params={"countryId": mapping.ROMANIA}).json()
            counties = mapping.parse_counties(data)
            self._counties = {localities.normalise(k): v for k, v in counties.items()}
        county_id = self._counties.get(localities.normalise(address.county))
        if county_id is None:
            raise AddressMismatch(self.key, address.county, address.city, county_known=False)
        if address.county not in self._localities:
            params = {"countryId": mapping.ROMANIA, "countyId": county_id}
            data = self._call("GET", "Localities", params=params).json()
            self._localities[address.county] = mapping.parse_localities(data, address.county)
        localities.check(self.key, address, self._localities[address.county])

    def create_shipment(self, request: ShipmentRequest) -> ShipmentResult:
        body = mapping.build_awb(request, self.account)
        self.check_address(request)
        result = mapping.parse_awb(self._call("POST", "Awbs", json=body).json())
        label_format: LabelFormat = "PDF_A4" if request.label_format == "PDF_A4" else "PDF_A6"
        return self._with_label(result, label_format)

    def get_labels(self, ids: list[str], label_format: LabelFormat) -> bytes:
        if label_format not in mapping.LABEL_FORMATS:
            raise CourierError("Cargus prints PDF labels only (A4 or 10x14)")
        params = {
            "barCodes": json.dumps(ids),
            "type": "PDF",
            "format": mapping.LABEL_FORMATS[label_format],
            "printMainOnce": 1,
        }
        return mapping.parse_label(self._call("GET", "AwbDocuments", params=params).json())

    def track(self, tracking_number: str) -> TrackingStatus:
        params = {"barCode": json.dumps([tracking_number])}
        data = self._call("GET", "AwbTrace", params=params).json()
        return mapping.parse_tracking(data, tracking_number)

    def cancel(self, carrier_shipment_id: str) -> None:
        self._call("DELETE", "Awbs", params={"barCode": carrier_shipment_id})

    def pickup_points(self) -> list[dict[str, Any]]:
        """The Ship & Go points a shopper can choose (PUDO_Get)."""
        return mapping.parse_pudo_points(self._call("GET", "PUDO_Get").json())

    def order_pickup(self, request: PickupRequest) -> str:
        """Validate (action=1) the pickup point's open order for the day's window."""
        day = request.day.isoformat()
        params = {
            "locationId": self.account.pickup_location_id,
            "action": 1,
            "PickupStartDate": f"{day}T{request.ready_from}",
            "PickupEndDate": f"{day}T{request.ready_until}",
        }
        return str(self._call("PUT", "Orders", params=params).json())[:200]
