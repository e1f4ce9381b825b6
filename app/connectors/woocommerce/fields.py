"""Reading fields of WooCommerce payloads: required values, GMT times, money, ids."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any


class PayloadError(ValueError):
    """The payload lacks a field we need; the message names it."""


def require(data: dict[str, Any], key: str) -> Any:
    value = data.get(key)
    if value is None or value == "":
        raise PayloadError(f"payload has no {key!r}")
    return value


def gmt_time(value: str) -> datetime:
    """A WooCommerce ``*_gmt`` time (no offset, UTC) or an ISO time with an offset."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        raise PayloadError(f"not a date-time: {value!r}") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def money(value: Any, field: str = "amount") -> Decimal:
    try:
        return Decimal(str(value if value not in (None, "") else "0"))
    except InvalidOperation:
        raise PayloadError(f"{field} is not a number: {value!r}") from None


def optional_id(value: Any) -> str | None:
    return str(value) if value not in (None, "", 0, "0") else None
