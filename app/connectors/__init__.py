"""The connector registry: one entry per platform, looked up by the URL's platform name."""

from __future__ import annotations

from flask import current_app

from app.connectors.base import Connector


def registry() -> dict[str, Connector]:
    """Connectors enabled for this app (the demo one only outside production)."""
    from app.demo.platform import CONNECTOR as DEMO

    connectors: dict[str, Connector] = {}
    if current_app.config.get("ENABLE_DEMO_CONNECTOR"):
        connectors[DEMO.platform] = DEMO
    from app.connectors.woocommerce import CONNECTOR as WOOCOMMERCE

    connectors[WOOCOMMERCE.platform] = WOOCOMMERCE

    from app.connectors.shopify import CONNECTOR as SHOPIFY

    connectors[SHOPIFY.platform] = SHOPIFY
    return connectors


def get(platform: str) -> Connector | None:
    return registry().get(platform)
