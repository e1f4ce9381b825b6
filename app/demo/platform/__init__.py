"""The demo connector: a tiny platform of our own for the demo shop and the tests.

Deliveries carry ``X-Demo-Shop``, ``X-Demo-Topic``, ``X-Demo-Delivery-Id`` and
``X-Demo-Hmac-Sha256`` (base64 HMAC-SHA256 of the raw body with the shop's webhook secret).
Payloads are already close to our canonical events, so ``normalize`` is a thin mapping.
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
    ShopActions,
    SignatureError,
    header,
    verify_base64_hmac,
)
from app.demo.platform.mapping import HANDLERS
from app.events.types import Event
from app.models import AuditLog, Order, Shipment, Shop, ShopScope


class DemoConnector:
    platform = "demo"
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
        self, shop: Shop, topic: str, payload: Any, headers: Mapping[str, str]
    ) -> list[Event]:
        return HANDLERS[topic](shop.id, payload)

    # The demo platform has no API: codes and tracking live in our own tables and audit log.
    def create_discount(self, shop: Shop, spec: DiscountSpec) -> DiscountResult:
        return DiscountResult(code=spec.code, platform_discount_id=f"demo-{spec.code}")

    def orders_since(
        self, shop: Shop, *, email: str | None, cart_key: str | None, since: datetime
    ) -> bool | None:
        # Nothing to ask beyond our own tables, which the send-time check reads already.
        return None

    def push_tracking(self, shop: Shop, order: Order, shipment: Shipment) -> None:
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


CONNECTOR = DemoConnector()
# Checked by mypy: what flows and labels ask of a shop's platform (base.ShopActions).
_ACTIONS: ShopActions = CONNECTOR
