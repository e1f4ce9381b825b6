"""The one interface every shop platform implements, and the errors they raise.

Each platform package (``app/connectors/shopify/``, ``app/connectors/woocommerce/``, and the
demo platform in ``app/demo/platform/``) exposes a ``PLATFORM`` object implementing
``Platform`` in full, under the same names; ``app.connectors`` registers them by name. The
webhook view calls ``read_envelope`` and ``verify``; the ingest job calls ``normalize``; the
install/connect views call ``connect``; flows and shipping call the shop actions. An operation
that has nothing to do on a platform says so with its documented "nothing" value, never by
being absent.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from app.models.lifecycle import DEFAULT_BIRTHDAY_METAFIELD, birthday_metafield

if TYPE_CHECKING:
    from datetime import datetime
    from decimal import Decimal

    from app.events.types import Event
    from app.models import Cart, Order, Shipment, Shop


class SignatureError(Exception):
    """The delivery's signature is missing or wrong: answer 401, store nothing."""


class DiscountRefused(RuntimeError):
    """The shop made no code we can honestly mail (it kept it without the expiry we promise,
    say): the step waits and the merchant is told, rather than mailing a false promise."""


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


@dataclass(frozen=True)
class ShopRef:
    """What mapping may know about a shop: plain values, never its credentials."""

    id: int
    domain: str
    currency: str  # a payload that names no currency is in the shop's own
    # The storefront's base URL shoppers see (a Shopify catalog sync reads the primary domain).
    storefront_url: str | None = None
    # Shopify: the customer metafield (namespace.key) holding the birth date (birthday flow).
    birthday_metafield: str = DEFAULT_BIRTHDAY_METAFIELD

    @classmethod
    def of(cls, shop: Shop) -> ShopRef:
        return cls(
            shop.id,
            shop.domain,
            shop.currency,
            shop.store_connection.store_url,
            birthday_metafield(shop.id),
        )

    def product_page(self, handle: str | None, online_store_url: str | None = None) -> str | None:
        """The page shoppers see: the platform's own product URL when the payload has it (a
        Shopify bulk export does, webhooks do not), else the same address built from the
        handle on the storefront."""
        base = self.storefront_url or f"https://{self.domain}"
        return online_store_url or (f"{base}/products/{handle}" if handle else None)


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


@runtime_checkable
class Platform(Protocol):
    """A shop platform: every operation, on every platform, under these names."""

    name: str  # the URL's and ``Shop.platform``'s name: "shopify", "woocommerce", "demo"
    topics: frozenset[str]  # the webhook topics ``normalize`` understands

    def read_envelope(self, headers: Mapping[str, str], body: bytes) -> Envelope:
        """Routing facts from a delivery's headers; EnvelopeError when they are missing, or
        SignatureError when the platform can tell without them that the body is forged."""
        ...

    def verify(self, shop: Shop | None, headers: Mapping[str, str], body: bytes) -> None:
        """Raise SignatureError unless the body is signed by the shop (or app) secret."""
        ...

    def normalize(
        self, shop: ShopRef, topic: str, payload: Any, headers: Mapping[str, str]
    ) -> list[Event]:
        """Canonical events from a verified payload. Pure: no secrets, no I/O, no writes;
        a malformed payload raises ``app.connectors.fields.PayloadError`` naming the field."""
        ...

    def connect(self, shop: Shop, credentials: dict[str, Any]) -> None:
        """Store what the merchant granted (encrypted), mark the shop active, and set it up
        (webhooks, catalog sync) in jobs enqueued after the caller's commit."""
        ...

    def ensure_webhooks(self, shop: Shop) -> int:
        """Create missing webhooks and re-enable disabled ones; how many it created or
        re-enabled (0 when all were in place, or the platform needs none)."""
        ...

    def sync_catalog(self, shop: Shop) -> None:
        """Start a full catalog sync in the background (after the caller's commit)."""
        ...

    def reconcile(self, shop: Shop) -> None:
        """Start a reconcile in the background: webhooks checked, missed orders backfilled."""
        ...

    def disconnect(self, shop: Shop) -> None:
        """The shop removed us (its uninstall event is applied: runs stopped, status
        "uninstalled"): take down what we set up in it and forget its credentials — at once
        where the platform has revoked them already, else in a job after the caller's commit."""
        ...

    def create_discount(self, shop: Shop, spec: DiscountSpec) -> DiscountResult:
        """A single-use, expiring code in the shop (raises when the platform refuses)."""
        ...

    def push_tracking(
        self, shop: Shop, order: Order, shipment: Shipment, *, notify_customer: bool = True
    ) -> None:
        """Tell the shop the shipment's tracking number (raises on a failed call).

        ``notify_customer``: whether the platform's own shipping email should go out too (not
        when ours does); a platform that sends none of its own ignores it."""
        ...

    def orders_since(
        self, shop: Shop, *, email: str | None, cart_key: str | None, since: datetime
    ) -> bool | None:
        """Whether the platform holds a live order by this shopper (email or cart) placed at or
        after ``since``; None when it cannot tell (or has nothing beyond our own tables).
        Raises on a failed call, so the caller can retry later."""
        ...

    def restore_target(
        self, shop: Shop, cart: Cart, code: str | None, expires_at: int
    ) -> str | None:
        """Where a restore link sends the shopper to rebuild ``cart`` with ``code`` applied;
        None when the platform has no storefront to send them to (our own page shows it)."""
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
