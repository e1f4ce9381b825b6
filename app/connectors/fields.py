"""Reading fields of platform payloads: required values, times, money, ids, currency.

One error policy for every platform's mapping: a missing or malformed field raises
``PayloadError`` naming it. The ingest job records it on the delivery (``last_error``) and
retries, and gives up as 'failed' after ``DELIVERY_MAX_ATTEMPTS``; a body that is not JSON at
all is refused with 400 and stored as 'failed' before any of this runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from app.connectors.base import ShopRef
from app.events.types import Event

Mapper = Callable[[ShopRef, dict[str, Any]], list[Event]]


class PayloadError(ValueError):
    """The payload lacks a field we need, or holds one we cannot read; the message names it."""


def map_payload(
    handlers: Mapping[str, Mapper], shop: ShopRef, topic: str, payload: Any
) -> list[Event]:
    """The events the topic's mapper makes of a JSON object (what every ``normalize`` does)."""
    if not isinstance(payload, dict):
        raise PayloadError(f"{topic} payload is not a JSON object")
    return handlers[topic](shop, payload)


def require(data: dict[str, Any], key: str) -> Any:
    value = data.get(key)
    if value is None or value == "":
        raise PayloadError(f"payload has no {key!r}")
    return value


def parse_time(value: Any, *, naive_is_utc: bool = False) -> datetime | None:
    """An ISO 8601 time, or None when absent. A time without an offset is an error unless the
    platform documents it as UTC (WooCommerce's ``*_gmt`` fields)."""
    if value in (None, ""):
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise PayloadError(f"not a date-time: {value!r}") from None
    if parsed.tzinfo is not None:
        return parsed
    if not naive_is_utc:
        raise PayloadError(f"timestamp without offset: {value!r}")
    return parsed.replace(tzinfo=UTC)


def required_time(data: dict[str, Any], *keys: str, naive_is_utc: bool = False) -> datetime:
    """The first of ``keys`` that holds a time."""
    for key in keys:
        parsed = parse_time(data.get(key), naive_is_utc=naive_is_utc)
        if parsed is not None:
            return parsed
    raise PayloadError(f"payload has none of {', '.join(keys)}")


def gmt_time(value: Any) -> datetime:
    """A WooCommerce ``*_gmt`` time (no offset, UTC) or an ISO time with an offset."""
    parsed = parse_time(value, naive_is_utc=True)
    if parsed is None:
        raise PayloadError(f"not a date-time: {value!r}")
    return parsed


def money(value: Any, field: str = "amount") -> Decimal:
    """An amount as the platform sends it (string or number); absent is zero."""
    try:
        return Decimal(str(value if value not in (None, "") else "0"))
    except InvalidOperation:
        raise PayloadError(f"{field} is not a number: {value!r}") from None


def optional_id(value: Any) -> str | None:
    """A platform id as text; absent, empty or 0 (WooCommerce's "none", e.g. a guest) is None."""
    return str(value) if value not in (None, "", 0, "0") else None


def currency(shop: ShopRef, *values: Any) -> str:
    """The first currency the payload names, else the shop's own."""
    for value in values:
        if isinstance(value, str) and value.strip():
            return value.strip()
    return shop.currency
