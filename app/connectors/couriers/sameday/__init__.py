"""Sameday adapter (Romania): token login, re-login once on 401, thin HTTP around ``mapping``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests

from app.connectors.couriers.base import (
    Capabilities,
    CourierError,
    LabelFormat,
    ShipmentRequest,
    ShipmentResult,
    TrackingStatus,
)
from app.connectors.couriers.http import check, send
from app.connectors.couriers.sameday import mapping

PRODUCTION = "https://api.sameday.ro"
SANDBOX = "https://sameday-api.demo.zitec.com"


class Sameday:
    key = "sameday"
    # No lookup by our reference: after a lost answer the shipment is held for a person.
    capabilities = Capabilities()

    def __init__(
        self,
        *,
        username: str,
        password: str,
        account: mapping.Account,
        sandbox: bool = False,
        token: str | None = None,
    ) -> None:
        self.base = SANDBOX if sandbox else PRODUCTION
        self.username, self.password = username, password
        self.account = account
        self.token = token
        self.on_login: Callable[[str], None] | None = None
        self.session = requests.Session()

    def _login(self) -> str:
        response = send(
            self.session,
            "POST",
            f"{self.base}/api/authenticate",
            headers={"X-Auth-Username": self.username, "X-Auth-Password": self.password},
            data={"remember_me": "1"},
        )
        if response.status_code >= 400:
            raise CourierError("Sameday login refused: check the username and password")
        self.token = mapping.parse_token(response.json())
        if self.on_login is not None:
            self.on_login(self.token)
        return self.token

    def _call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Send with the token; on 401 (the token expired) log in again and retry once."""
        token = self.token or self._login()
        response = send(
            self.session, method, f"{self.base}{path}", headers={"X-AUTH-TOKEN": token}, **kwargs
        )
        if response.status_code == 401:
            token = self._login()
            response = send(
                self.session,
                method,
                f"{self.base}{path}",
                headers={"X-AUTH-TOKEN": token},
                **kwargs,
            )
        return check(response, mapping.parse_error)

    def create_shipment(self, request: ShipmentRequest) -> ShipmentResult:
        fields = mapping.build_awb(request, self.account)
        result = mapping.parse_awb(self._call("POST", "/api/awb", data=fields).json())
        # Sameday has no ZPL: a ZPL request gets the A6 PDF.
        label_format: LabelFormat = "PDF_A4" if request.label_format == "PDF_A4" else "PDF_A6"
        try:
            label: bytes | None = self.get_labels([result.carrier_shipment_id], label_format)
        except CourierError:
            # The AWB exists: keep it and fetch the label later rather than lose the number
            # (a failed row would be retried, buying a second AWB).
            label = None
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
        if label_format not in mapping.LABEL_SIZES or len(ids) != 1:
            raise CourierError("Sameday prints one AWB at a time, as an A4 or A6 PDF")
        size = mapping.LABEL_SIZES[label_format]
        return self._call("GET", f"/api/awb/download/{ids[0]}/{size}").content

    def track(self, tracking_number: str) -> TrackingStatus:
        return mapping.parse_status(
            self._call("GET", f"/api/client/awb/{tracking_number}/status").json()
        )

    def cancel(self, carrier_shipment_id: str) -> None:
        self._call("DELETE", f"/api/awb/{carrier_shipment_id}")
