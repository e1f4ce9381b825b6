"""The Shopify demo shop for ``make run``, and a way to send it signed webhooks.

The shop has no tokens (there is no real Shopify behind it), so nothing calls the Admin API;
its webhooks are signed with the app secret, which in development is the built-in default.
Send one to a running service with::

    .venv/bin/python -m app.demo.shopify checkouts/create \
        tests/fixtures/shopify/checkouts_create.json

It posts to the service ``make run`` started (``instance/run.json``), whatever its port.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import os
import uuid
from pathlib import Path

import requests

from app import config
from app.connectors.base import ShopRef
from app.connectors.shopify.mapping import parse_product
from app.demo.service import read_run_file
from app.demo.shops import demo_shop
from app.events.apply import apply
from app.models import Shop, db, utcnow

DEMO_DOMAIN = "storeflow-demo.myshopify.com"
# (id, title, product type, price) of the demo catalog, fed through the webhook mapping.
CATALOG = [
    (632910392, "IPod Nano - 8GB", "Electronics", "199.00"),
    (788032119674292922, "Example T-Shirt", "Shirts", "19.99"),
    (921728736, "IPod Touch 8GB", "Electronics", "229.00"),
]


def seed() -> Shop:
    """Create (or refresh) the demo shop with a small catalog; safe to run on every start."""
    # No tokens: the demo shop's webhooks are signed with the development app secret.
    shop = demo_shop(
        "shopify",
        DEMO_DOMAIN,
        "Demo Shopify Store",
        credentials={},
        locale=("USD", "en", "America/New_York"),
    )
    ref = ShopRef.of(shop)
    for pid, title, product_type, price in CATALOG:
        payload = {
            "id": pid,
            "title": title,
            "handle": title.lower().replace(" ", "-"),
            "product_type": product_type,
            "status": "active",
            "updated_at": "2026-01-01T00:00:00Z",
            "variants": [{"id": pid + 1, "title": "Default Title", "price": price}],
        }
        for event in parse_product(ref, payload):
            apply(event)
    db.session.commit()
    return shop


def signed_headers(topic: str, body: bytes, secret: str) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": base64.b64encode(digest).decode(),
        "X-Shopify-Shop-Domain": DEMO_DOMAIN,
        "X-Shopify-Webhook-Id": str(uuid.uuid4()),
        "X-Shopify-Triggered-At": utcnow().isoformat(),
        "X-Shopify-API-Version": "2026-10",
    }


def _default_url() -> str:
    running = read_run_file(Path(__file__).resolve().parents[2] / "instance")
    if running is not None:
        return running.public_url
    return os.environ.get("STOREFLOW_PUBLIC_URL", "http://127.0.0.1:5000")


def main() -> None:
    parser = argparse.ArgumentParser(description="POST a signed Shopify webhook to the demo shop")
    parser.add_argument("topic", help="e.g. checkouts/create, orders/create")
    parser.add_argument("payload", help="path to a JSON body, e.g. tests/fixtures/shopify/...")
    parser.add_argument("--url", default=None, help="default: the running `make run` service")
    args = parser.parse_args()
    url = args.url or _default_url()
    settings = config.load()
    with open(args.payload, "rb") as handle:
        body = handle.read()
    headers = signed_headers(args.topic, body, settings["SHOPIFY_API_SECRET"])
    response = requests.post(f"{url}/webhooks/shopify", data=body, headers=headers, timeout=10)
    print(response.status_code, response.text)


if __name__ == "__main__":
    main()
