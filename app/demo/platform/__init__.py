"""The demo platform: a tiny platform of our own for the demo shop and the tests.

Deliveries carry ``X-Demo-Shop``, ``X-Demo-Topic``, ``X-Demo-Delivery-Id`` and
``X-Demo-Hmac-Sha256`` (base64 HMAC-SHA256 of the raw body with the shop's webhook secret).
Payloads are already close to our canonical events, so ``normalize`` is a thin mapping.
It has no API and no storefront: operations that would call one do nothing and return the
``Platform`` interface's "nothing" value; codes and tracking live in our own tables.
Registered by the app factory only when ``ENABLE_DEMO_CONNECTOR`` is on.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from app.connectors.base import (
    DiscountResult,
    DiscountSpec,
    Envelope,
    EnvelopeError,
    Platform,
    ShopRef,
    SignatureError,
    header,
    verify_base64_hmac,
)
from app.connectors.fields import map_payload
from app.demo.platform.mapping import HANDLERS
from app.events.types import Event
from app.models import AuditLog, Cart, Order, Shipment, Shop, ShopScope, utcnow


class Demo:
    name = "demo"
    topics = frozenset(HANDLERS)

    def read_envelope(self, headers: Mapping[str, str], body: bytes) -> Envelope:
        values = {
            name: header(headers, f"X-Demo-{name}") for name in ("Shop", "Topic", "Delivery-Id")
        }
        missing = [name for name, value in values.items() if not value]
        if missing:
            raise EnvelopeError(f"missing headers: {', '.join('X-Demo-' + m for m in missing)}")
        return Envelope(
            shop_domain=str(values["Shop"]),
            topic=str(values["Topic"]),
            delivery_id=str(values["Delivery-Id"]),
        )

    def verify(self, shop: Shop | None, headers: Mapping[str, str], body: bytes) -> None:
        if shop is None:
            raise SignatureError("unknown shop")
        secrets = [shop.credentials.get("webhook_secret", "")]
        secrets.append(shop.credentials.get("previous_webhook_secret", ""))
        verify_base64_hmac(secrets, body, header(headers, "X-Demo-Hmac-Sha256"))

    def normalize(
        self, shop: ShopRef, topic: str, payload: Any, headers: Mapping[str, str]
    ) -> list[Event]:
        return map_payload(HANDLERS, shop, topic, payload)

    def connect(self, shop: Shop, credentials: dict[str, Any]) -> None:
        # Nothing to set up afterwards: the demo shop posts its own signed deliveries.
        shop.credentials = credentials
        shop.status, shop.installed_at, shop.uninstalled_at = "active", utcnow(), None

    def ensure_webhooks(self, shop: Shop) -> int:
        return 0  # no subscriptions to keep: deliveries are posted by the demo scripts

    def sync_catalog(self, shop: Shop) -> None:
        return None  # the catalog arrives as product/updated deliveries, not by sync

    def reconcile(self, shop: Shop) -> None:
        return None  # no platform holds anything our tables lack

    def disconnect(self, shop: Shop) -> None:
        shop.credentials = {}  # nothing was set up in a demo shop

    def create_discount(self, shop: Shop, spec: DiscountSpec) -> DiscountResult:
        return DiscountResult(code=spec.code, platform_discount_id=f"demo-{spec.code}")

    def push_tracking(
        self, shop: Shop, order: Order, shipment: Shipment, *, notify_customer: bool = True
    ) -> None:
        ShopScope(shop.id).add(
            AuditLog(
                actor="system",
                action="tracking_pushed",
                subject=f"order:{order.platform_order_id}",
                details={
                    "tracking_number": shipment.tracking_number,
                    "tracking_url": shipment.tracking_url,
                },
            )
        )

    def orders_since(
        self, shop: Shop, *, email: str | None, cart_key: str | None, since: datetime
    ) -> bool | None:
        return None  # nothing to ask beyond our own tables, which the send-time check reads

    def restore_target(
        self, shop: Shop, cart: Cart, code: str | None, expires_at: int
    ) -> str | None:
        return None  # no storefront: our own page shows the rebuilt cart


PLATFORM: Platform = Demo()
