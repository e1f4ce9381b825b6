"""Sameday adapter (Romania): token login, re-login once on 401, thin HTTP around ``mapping``."""

from __future__ import annotations

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
from app.connectors.couriers.http import TokenClient, send
from app.connectors.couriers.sameday import mapping

PRODUCTION = "https://api.sameday.ro"
SANDBOX = "https://sameday-api.demo.zitec.com"


class Sameday(TokenClient):
    key = "sameday"
    # No lookup by our reference: after a lost answer the shipment is held for a person.
    # No pickup orders: Sameday's published API (its PHP SDK) has no courier-order call; the
    # courier collects from the pickup point each AWB names.
    capabilities = Capabilities()
    login_refused = "Sameday login refused: check the username and password"

    def __init__(
        self,
        *,
        username: str,
        password: str,
        account: mapping.Account,
        sandbox: bool = False,
        token: str | None = None,
    ) -> None:
        super().__init__(token)
        self.base = SANDBOX if sandbox else PRODUCTION
        self.username, self.password = username, password
        self.account = account

    def _login_response(self) -> requests.Response:
        headers = {"X-Auth-Username": self.username, "X-Auth-Password": self.password}
        return send(
            self.session,
            "POST",
            f"{self.base}/api/authenticate",
            headers=headers,
            data={"remember_me": "1"},
        )

    def _parse_token(self, data: Any) -> str:
        return mapping.parse_token(data)

    def _parse_error(self, data: Any) -> str:
        return mapping.parse_error(data)

    def _headers(self, token: str) -> dict[str, str]:
        return {"X-AUTH-TOKEN": token}

    def _url(self, path: str) -> str:
        return f"{self.base}{path}"

    def create_shipment(self, request: ShipmentRequest) -> ShipmentResult:
        fields = mapping.build_awb(request, self.account)
        result = mapping.parse_awb(self._call("POST", "/api/awb", data=fields).json())
        # Sameday has no ZPL: a ZPL request gets the A6 PDF.
        label_format: LabelFormat = "PDF_A4" if request.label_format == "PDF_A4" else "PDF_A6"
        return self._with_label(result, label_format)

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
