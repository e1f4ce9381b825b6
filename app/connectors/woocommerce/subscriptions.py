"""The REST webhooks a connected store sends us, created once and kept enabled.

WooCommerce never retries a failed delivery and disables a webhook after repeated failures
(``woocommerce_max_webhook_delivery_failures``, default 5), so the reconcile job calls
``ensure_webhooks`` again every 15 minutes.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app

from app.connectors.woocommerce.client import StoreClient
from app.logs import fields as log_fields
from app.models import Shop

log = logging.getLogger(__name__)
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
