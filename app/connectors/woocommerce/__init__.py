"""The WooCommerce connector: REST webhooks and the Storeflow plugin's signed events.

Both arrive at ``POST /webhooks/woocommerce``. WooCommerce's own deliveries carry
``X-WC-Webhook-*`` headers and a base64 HMAC of the raw body; the plugin's carry
``X-Storeflow-*`` headers and an HMAC over ``"<timestamp>.<body>"`` checked against a 300 s
window. Both are signed with the secret shared at connect time. A ping (form body
``webhook_id=N`` and neither set of headers) is answered 200.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from app.connectors.base import (
    DiscountResult,
    DiscountSpec,
    Envelope,
    EnvelopeError,
    SignatureError,
    header,
    verify_base64_hmac,
)
from app.connectors.woocommerce import actions
from app.connectors.woocommerce.client import StoreAddressError, store_domain
from app.connectors.woocommerce.mapping import HANDLERS
from app.connectors.woocommerce.plugin_events import PLUGIN_HANDLERS
from app.connectors.woocommerce.signing import verify_plugin_event
from app.connectors.woocommerce.tokens import restore_url, shop_secrets
from app.events.types import CartUpdated, Event
from app.models import Order, Shipment, Shop

PING = re.compile(rb"^webhook_id=\d+$")
_ROUTES = {
    "wc": ("X-WC-Webhook-Source", "X-WC-Webhook-Topic", "X-WC-Webhook-Delivery-ID"),
    "plugin": ("X-Storeflow-Source", "X-Storeflow-Topic", "X-Storeflow-Delivery-Id"),
}
_KEPT = ("X-WC-Webhook-ID", "X-WC-Webhook-Resource", "X-WC-Webhook-Event", "X-Storeflow-Timestamp")


def _sender(headers: Mapping[str, str]) -> str | None:
    if header(headers, "X-WC-Webhook-Topic") or header(headers, "X-WC-Webhook-Source"):
        return "wc"
    if header(headers, "X-Storeflow-Topic") or header(headers, "X-Storeflow-Source"):
        return "plugin"
    return None


class WooCommerceConnector:
    platform = "woocommerce"
    topics = frozenset(HANDLERS)

    def read_envelope(self, headers: Mapping[str, str], body: bytes) -> Envelope:
        sender = _sender(headers)
        if sender is None:
            if PING.match(body.strip()):
                return Envelope(shop_domain="", topic="ping", delivery_id="", is_ping=True)
            raise EnvelopeError("missing X-WC-Webhook-* or X-Storeflow-* headers")
        names = _ROUTES[sender]
        source, topic, delivery = (header(headers, name) for name in names)
        missing = [n for n, v in zip(names, (source, topic, delivery), strict=True) if not v]
        if missing:
            raise EnvelopeError(f"missing headers: {', '.join(missing)}")
        try:
            domain = store_domain(str(source))
        except StoreAddressError as exc:
            raise EnvelopeError(str(exc)) from None
        if sender == "wc":
            # WooCommerce derives the delivery id from the webhook id and the current second,
            # so two different deliveries can share it; the body hash tells them apart.
            delivery = f"wc-{delivery}-{hashlib.sha256(body).hexdigest()[:16]}"
        kept = {name: value for name in _KEPT if (value := header(headers, name))}
        return Envelope(
            shop_domain=domain, topic=str(topic), delivery_id=str(delivery), headers=kept
        )

    def verify(self, shop: Shop | None, headers: Mapping[str, str], body: bytes) -> None:
        if shop is None:
            raise SignatureError("unknown store")
        secrets = shop_secrets(shop)
        if not secrets:
            raise SignatureError("store has no shared secret (not connected)")
        if _sender(headers) == "plugin":
            verify_plugin_event(secrets, headers, body, time.time())
        else:
            verify_base64_hmac(secrets, body, header(headers, "X-WC-Webhook-Signature"))

    def normalize(
        self, shop: Shop, topic: str, payload: Any, headers: Mapping[str, str]
    ) -> list[Event]:
        if not isinstance(payload, dict):
            raise ValueError(f"{topic} payload is not a JSON object")
        events = HANDLERS[topic](shop.id, payload)
        if topic in PLUGIN_HANDLERS:
            events = [_with_restore_url(shop, event) for event in events]
        return events

    def create_discount(self, shop: Shop, spec: DiscountSpec) -> DiscountResult:
        return actions.create_discount(shop, spec)

    def push_tracking(self, shop: Shop, order: Order, shipment: Shipment) -> None:
        actions.push_tracking(shop, order, shipment)

    def orders_since(
        self, shop: Shop, *, email: str | None, cart_key: str | None, since: datetime
    ) -> bool | None:
        return actions.orders_since(shop, email=email, cart_key=cart_key, since=since)


def _with_restore_url(shop: Shop, event: Event) -> Event:
    if not isinstance(event, CartUpdated) or event.is_empty or not shop_secrets(shop):
        return event
    rows = [(i.product_id, i.variant_id, i.quantity) for i in event.items]
    return dataclasses.replace(event, restore_url=restore_url(shop, event.cart_key, rows))


CONNECTOR = WooCommerceConnector()
