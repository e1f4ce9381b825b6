"""Deliveries a store sends us (read and verified), and the REST webhooks that send them.

Both kinds arrive at ``POST /webhooks/woocommerce``. WooCommerce's own deliveries carry
``X-WC-Webhook-*`` headers and a base64 HMAC of the raw body; the plugin's carry
``X-Storeflow-*`` headers and an HMAC over ``"<timestamp>.<body>"`` checked against a 300 s
window. Both are signed with the secret shared at connect time. A ping (form body
``webhook_id=N`` and neither set of headers) is answered 200.

WooCommerce never retries a failed delivery and disables a webhook after repeated failures
(``woocommerce_max_webhook_delivery_failures``, default 5), so the reconcile job calls
``ensure_webhooks`` again every 15 minutes.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Mapping
from typing import Any

from flask import current_app

from app.connectors.base import Envelope, EnvelopeError, SignatureError, header, verify_base64_hmac
from app.connectors.woocommerce.client import StoreAddressError, StoreClient, store_domain
from app.connectors.woocommerce.signing import verify_plugin_event
from app.connectors.woocommerce.tokens import shop_secrets
from app.logs import fields as log_fields
from app.models import Shop

log = logging.getLogger(__name__)
PING = re.compile(rb"^webhook_id=\d+$")
_ROUTES = {
    "wc": ("X-WC-Webhook-Source", "X-WC-Webhook-Topic", "X-WC-Webhook-Delivery-ID"),
    "plugin": ("X-Storeflow-Source", "X-Storeflow-Topic", "X-Storeflow-Delivery-Id"),
}
_KEPT = ("X-WC-Webhook-ID", "X-WC-Webhook-Resource", "X-WC-Webhook-Event", "X-Storeflow-Timestamp")
WEBHOOK_TOPICS = (
    "order.created",
    "order.updated",
    "order.deleted",
    "customer.created",
    "customer.updated",
    "product.created",
    "product.updated",
    "product.deleted",
    # Fired when a coupon is edited (not when an order uses it: orders' coupon_lines tell that).
    "coupon.updated",
)


def _sender(headers: Mapping[str, str]) -> str | None:
    if header(headers, "X-WC-Webhook-Topic") or header(headers, "X-WC-Webhook-Source"):
        return "wc"
    if header(headers, "X-Storeflow-Topic") or header(headers, "X-Storeflow-Source"):
        return "plugin"
    return None


def read_envelope(headers: Mapping[str, str], body: bytes) -> Envelope:
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
    return Envelope(shop_domain=domain, topic=str(topic), delivery_id=str(delivery), headers=kept)


def verify(shop: Shop | None, headers: Mapping[str, str], body: bytes) -> None:
    if shop is None:
        raise SignatureError("unknown store")
    if shop.status == "uninstalled":
        # Its keys are kept a moment to delete our webhooks; nothing it sends counts any more.
        raise SignatureError("store disconnected")
    secrets = shop_secrets(shop)
    if not secrets:
        raise SignatureError("store has no shared secret (not connected)")
    if _sender(headers) == "plugin":
        verify_plugin_event(secrets, headers, body, time.time())
    else:
        verify_base64_hmac(secrets, body, header(headers, "X-WC-Webhook-Signature"))


def delivery_url() -> str:
    return f"{current_app.config['PUBLIC_URL']}/webhooks/woocommerce"


def ensure_webhooks(shop: Shop, *, reset_secret: bool = False) -> dict[str, int]:
    """Create missing webhooks and re-enable paused or disabled ones; safe to run any time.

    ``reset_secret`` also re-signs the ones that exist (a reconnect shares a new secret and
    WooCommerce never shows us the old one).
    """
    client = StoreClient(shop)
    url = delivery_url()
    secret = shop.credentials["shared_secret"]
    ours: dict[str, dict[str, Any]] = {}
    for page in client.pages("webhooks"):
        for listed in page:
            if listed.get("delivery_url") == url and listed.get("topic") in WEBHOOK_TOPICS:
                ours.setdefault(listed["topic"], listed)
    counts = {"created": 0, "reenabled": 0, "kept": 0}
    for topic in WEBHOOK_TOPICS:
        hook = ours.get(topic)
        if hook is None:
            body = {"name": f"Storeflow {topic}", "topic": topic, "delivery_url": url}
            client.call("POST", "webhooks", {**body, "secret": secret, "status": "active"})
            counts["created"] += 1
        elif hook.get("status") != "active" or reset_secret:
            client.call("PUT", f"webhooks/{hook['id']}", {"status": "active", "secret": secret})
            counts["reenabled" if hook.get("status") != "active" else "kept"] += 1
        else:
            counts["kept"] += 1
    log.info("webhooks ensured", extra=log_fields({"shop": shop.id, **counts}))
    return counts
