"""The one place courier HTTP answers become our errors (lost answers, refusals, outages), and
the one token client the couriers that log in share (Sameday, FAN Courier, Cargus)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests

from app.connectors.couriers.base import (
    CourierError,
    CourierUnavailable,
    LabelFormat,
    ShipmentRequest,
    ShipmentResult,
)

TIMEOUT = (5, 30)  # connect, read: label PDFs can take a while to render at the courier


def send(session: requests.Session, method: str, url: str, **kwargs: Any) -> requests.Response:
    """Send a request; raise CourierUnavailable when the answer is lost or the courier is down."""
    try:
        response = session.request(method, url, timeout=TIMEOUT, **kwargs)
    except (requests.Timeout, requests.ConnectionError) as exc:
        raise CourierUnavailable(f"no answer from courier: {type(exc).__name__}") from exc
    if response.status_code >= 500:
        raise CourierUnavailable(
            f"courier error {response.status_code}", status=response.status_code
        )
    return response


def check(response: requests.Response, parse_error: Callable[[Any], str]) -> requests.Response:
    """A 4xx answer means the courier said no: raise with the courier's own words."""
    if response.status_code < 400:
        return response
    try:
        message = parse_error(response.json())
    except ValueError:
        message = response.text[:500] or f"courier error {response.status_code}"
    raise CourierError(message, status=response.status_code)


class TokenClient:
    """A courier API reached with a token that lasts (``LogsIn``): log in when there is no
    token, and once more when the courier answers 401 (it expired); a second 401 is final.

    Subclasses say where and how to log in (``_login_response``, ``_parse_token``), how the
    token travels (``_headers``), where a path goes (``_url``) and how the courier words a
    refusal (``_parse_error``). None of these couriers can find a shipment by our reference,
    so after a lost answer the shipment is held for a person, never created twice.
    """

    key = ""
    login_refused = "login refused: check the credentials in the label settings"

    def __init__(self, token: str | None = None) -> None:
        self.token = token
        self.on_login: Callable[[str], None] | None = None
        self.session = requests.Session()

    def _login_response(self) -> requests.Response:
        raise NotImplementedError

    def _parse_token(self, data: Any) -> str:
        raise NotImplementedError

    def _parse_error(self, data: Any) -> str:
        raise NotImplementedError

    def _headers(self, token: str) -> dict[str, str]:
        raise NotImplementedError

    def _url(self, path: str) -> str:
        raise NotImplementedError

    def _login(self) -> str:
        response = self._login_response()
        if response.status_code >= 400:
            raise CourierError(self.login_refused)
        self.token = self._parse_token(response.json())
        if self.on_login is not None:
            self.on_login(self.token)
        return self.token

    def _call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Send with the token; on 401 (the token expired) log in again and retry once."""
        token = self.token or self._login()
        url = self._url(path)
        response = send(self.session, method, url, headers=self._headers(token), **kwargs)
        if response.status_code == 401:
            token = self._login()
            response = send(self.session, method, url, headers=self._headers(token), **kwargs)
        return check(response, self._parse_error)

    def get_labels(self, ids: list[str], label_format: LabelFormat) -> bytes:
        raise NotImplementedError

    def _with_label(self, result: ShipmentResult, label_format: LabelFormat) -> ShipmentResult:
        """The new AWB with its label; without it when the label is not ready yet: the AWB
        exists, so its number is kept (a failed row would be retried, buying a second AWB)."""
        try:
            label: bytes | None = self.get_labels([result.carrier_shipment_id], label_format)
        except CourierError:
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
