"""Cargus adapter (Romania, API v3): subscription key on every call plus a token from
``LoginUser`` (24 h; re-login once on 401); the recipient's locality checked first."""

from __future__ import annotations

import json
from collections.abc import Callable
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
from app.connectors.couriers.http import check, send

API = "https://urgentcargus.azure-api.net/api"


class Cargus:
    key = "cargus"
    # No lookup by our reference in the documented API: a lost answer holds the shipment for a
    # person (our reference is the AWB's CustomString), never a second AWB.
    capabilities = Capabilities(pickup_orders=True)

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
        self.api = api
        self.subscription_key = subscription_key
        self.username, self.password = username, password
        self.account = account
        self.token = token
        self.on_login: Callable[[str], None] | None = None
        self.session = requests.Session()
        self._counties: dict[str, int] | None = None
        self._localities: dict[str, list[tuple[str, str]]] = {}

    def _headers(self, token: str | None) -> dict[str, str]:
        headers = {"Ocp-Apim-Subscription-Key": self.subscription_key}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return headers

    def _login(self) -> str:
        response = send(
            self.session,
            "POST",
            f"{self.api}/LoginUser",
            headers=self._headers(None),
            json={"UserName": self.username, "Password": self.password},
        )
        if response.status_code >= 400:
            raise CourierError("Cargus login refused: check the subscription key, user, password")
        self.token = mapping.parse_token(response.json())
        if self.on_login is not None:
            self.on_login(self.token)
        return self.token

    def _call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        token = self.token or self._login()
        url = f"{self.api}/{path}"
        response = send(self.session, method, url, headers=self._headers(token), **kwargs)
        if response.status_code == 401:
            token = self._login()
            response = send(self.session, method, url, headers=self._headers(token), **kwargs)
        return check(response, mapping.parse_error)

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
        try:
            label: bytes | None = self.get_labels([result.carrier_shipment_id], label_format)
        except CourierError:
            label = None  # the AWB exists: keep its number, fetch the label later
        return ShipmentResult(
            carrier_shipment_id=result.carrier_shipment_id,
            tracking_number=result.tracking_number,
            tracking_url=result.tracking_url,
            label=label,
            label_format=label_format,
        )

    def find_shipment(self, request: ShipmentRequest) -> ShipmentResult | None:
        return None

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
