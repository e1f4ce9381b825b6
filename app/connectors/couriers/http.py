"""The one place courier HTTP answers become our errors (lost answers, refusals, outages)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests

from app.connectors.couriers.base import CourierError, CourierUnavailable

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
