"""What every platform connector provides, and the errors they raise.

A connector module (``app/connectors/<platform>/``) exposes a ``CONNECTOR`` object with this
interface. The webhook view only calls ``read_envelope``, ``verify`` and ``topics``; the
``process_delivery`` job calls ``normalize``. Everything else (install, sync, discounts,
tracking) is added by each platform's package.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from datetime import datetime
    from decimal import Decimal

    from app.events.types import Event
    from app.models import Order, Shipment, Shop


class SignatureError(Exception):
    """The delivery's signature is missing or wrong: answer 401, store nothing."""


class EnvelopeError(Exception):
    """The delivery lacks what we need to route it (shop, topic, id): answer 400."""


@dataclass(frozen=True)
class Envelope:
    """Routing facts read from a delivery's headers before its body is trusted."""

    shop_domain: str
    topic: str
    delivery_id: str
    headers: dict[str, str] = field(default_factory=dict)  # the ones worth keeping
    # A platform "ping" (e.g. WooCommerce on webhook creation) is answered 200 and not queued.
    is_ping: bool = False


class Connector(Protocol):
    platform: str
    topics: frozenset[str]

    def read_envelope(self, headers: Mapping[str, str], body: bytes) -> Envelope: ...

    def verify(self, shop: Shop | None, headers: Mapping[str, str], body: bytes) -> None:
        """Raise SignatureError unless the body is signed by the shop (or app) secret."""
        ...

    def normalize(
        self, shop: Shop, topic: str, payload: Any, headers: Mapping[str, str]
    ) -> list[Event]: ...


@dataclass(frozen=True)
class DiscountSpec:
    """A single-use, expiring discount for one recipient, created at send time."""

    code: str
    percentage: Decimal
    expires_at: datetime
    recipient_email: str | None = None
    platform_customer_id: str | None = None
    title: str = "Storeflow"


@dataclass(frozen=True)
class DiscountResult:
    code: str
    platform_discount_id: str | None = None


class ShopActions(Protocol):
    """What flows and labels ask of a shop's platform (each connector implements it)."""

    def create_discount(self, shop: Shop, spec: DiscountSpec) -> DiscountResult: ...

    def push_tracking(self, shop: Shop, order: Order, shipment: Shipment) -> None: ...

    def orders_since(
        self, shop: Shop, *, email: str | None, cart_key: str | None, since: datetime
    ) -> bool | None:
        """Whether the platform holds a live order by this shopper (email or cart) placed at or
        after ``since``; None when it cannot tell. Optional: a connector without it (the demo
        platform) is never asked. Raises on a failed call, so the caller can retry later."""
        ...


def hmac_sha256(secret: str | bytes, body: bytes) -> bytes:
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, body, hashlib.sha256).digest()


def verify_base64_hmac(secrets: Iterable[str], body: bytes, signature: str | None) -> None:
    """Constant-time check of a base64 HMAC-SHA256 against any of the secrets (rotation)."""
    if not signature:
        raise SignatureError("missing signature")
    try:
        given = base64.b64decode(signature.strip(), validate=True)
    except ValueError:
        raise SignatureError("signature is not base64") from None
    valid = False
    for secret in secrets:
        if secret and hmac.compare_digest(hmac_sha256(secret, body), given):
            valid = True
    if not valid:
        raise SignatureError("signature does not match")


def header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive header lookup (HTTP/2 delivers lower-cased names)."""
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    for key, val in headers.items():
        if key.lower() == lowered:
            return val
    return None
