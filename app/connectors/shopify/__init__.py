"""The Shopify connector: a 2026 public app on the GraphQL Admin API.

Which library does what:
- ``shopifyapp`` (Shopify's current Python package): webhook HMAC verification (with the
  previous secret during a rotation), app-home ID-token verification and the CSP header,
  token exchange for expiring offline tokens, token refresh, and the Admin GraphQL request
  itself (with its 429/5xx retries). Its HTTP goes through ``auth.http_client()``.
- ``ShopifyAPI`` 12.x is not used: it has no token exchange, refresh, webhook verification or
  throttle handling, and new public apps may not use its REST resources.
- Our own code: the authorization-code grant (no helper in either package), cost-based
  ``THROTTLED`` waits and the single refresh-on-401 (``graphql.py``), pure payload mapping
  (``mapping.py``, ``customers.py``), bulk catalog sync (``catalog.py``,
  ``catalog_rows.py``), webhook subscriptions (``subscriptions.py``), the daily reconcile
  and backfill (``reconcile.py``), discounts and tracking (``actions.py``), install and
  embedded page (``install.py``, ``views.py``), the ``make run`` demo shop (``demo.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from app.connectors.base import (
    DiscountResult,
    DiscountSpec,
    Envelope,
    EnvelopeError,
    ShopActions,
    SignatureError,
    header,
)
from app.connectors.shopify import auth
from app.connectors.shopify.mapping import HANDLERS, ShopRef
from app.events.types import Event
from app.models import Order, Shipment, Shop

log = logging.getLogger(__name__)
KEPT_HEADERS = (
    "X-Shopify-Topic",
    "X-Shopify-Shop-Domain",
    "X-Shopify-Webhook-Id",
    "X-Shopify-Event-Id",
    "X-Shopify-Triggered-At",
    "X-Shopify-API-Version",
)


class ShopifyConnector:
    platform = "shopify"
    topics = frozenset(HANDLERS)

    def read_envelope(self, headers: Mapping[str, str], body: bytes) -> Envelope:
        values = {name: header(headers, name) for name in KEPT_HEADERS}
        required = ("X-Shopify-Topic", "X-Shopify-Shop-Domain", "X-Shopify-Webhook-Id")
        missing = [name for name in required if not values[name]]
        if missing:
            raise EnvelopeError(f"missing headers: {', '.join(missing)}")
        domain = str(values["X-Shopify-Shop-Domain"]).lower()
        if not auth.is_shop_domain(domain):
            raise EnvelopeError(f"not a myshopify.com shop domain: {domain!r}")
        return Envelope(
            shop_domain=domain,
            topic=str(values["X-Shopify-Topic"]),
            delivery_id=str(values["X-Shopify-Webhook-Id"]),
            headers={k: v for k, v in values.items() if v},
        )

    def verify(self, shop: Shop | None, headers: Mapping[str, str], body: bytes) -> None:
        """Signed with the app's secret (one for all shops), so an unknown shop still verifies."""
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise SignatureError("body is not UTF-8, so it cannot carry Shopify's HMAC") from None
        # shopifyapp compares the header as text; a non-ASCII value would raise, not mismatch.
        if not (header(headers, "X-Shopify-Hmac-Sha256") or "").isascii():
            raise SignatureError("HMAC header is not base64")
        result = auth.app_client().verify_webhook_req(
            {"method": "POST", "headers": dict(headers), "url": "", "body": text}
        )
        if not result.ok:
            raise SignatureError(f"{result.log.code}: {result.log.detail}")

    def normalize(
        self, shop: Shop, topic: str, payload: Any, headers: Mapping[str, str]
    ) -> list[Event]:
        if not isinstance(payload, dict):
            raise ValueError(f"{topic} payload is not a JSON object")
        return HANDLERS[topic](ShopRef.of(shop), payload)

    def create_discount(self, shop: Shop, spec: DiscountSpec) -> DiscountResult:
        from app.connectors.shopify.actions import create_discount

        return create_discount(shop, spec)

    def push_tracking(self, shop: Shop, order: Order, shipment: Shipment) -> None:
        from app.connectors.shopify.actions import push_tracking

        push_tracking(shop, order, shipment)

    def orders_since(
        self, shop: Shop, *, email: str | None, cart_key: str | None, since: datetime
    ) -> bool | None:
        from app.connectors.shopify.actions import orders_since

        return orders_since(shop, email=email, cart_key=cart_key, since=since)


CONNECTOR = ShopifyConnector()
# Checked by mypy: what flows and labels ask of a shop's platform (base.ShopActions).
_ACTIONS: ShopActions = CONNECTOR
