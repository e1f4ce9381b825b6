"""The platform registry: one ``Platform`` per name, looked up by the URL's or shop's platform.

Shopify and WooCommerce are always registered. The app factory adds the demo platform
(``app/demo/platform``) only when ``ENABLE_DEMO_CONNECTOR`` is on, so production never registers
demo code and connectors never import ``app.demo``. The registry lives on the app (not in
this module), so two apps built with different settings (as tests do) never share one.
"""

from __future__ import annotations

from flask import Flask, current_app

from app.connectors.base import Platform
from app.connectors.shopify import PLATFORM as SHOPIFY
from app.connectors.woocommerce import PLATFORM as WOOCOMMERCE

PLATFORMS: tuple[Platform, ...] = (SHOPIFY, WOOCOMMERCE)
_EXTENSION = "storeflow_platforms"


def init_app(app: Flask, *extra: Platform) -> None:
    """Register the real platforms, plus ``extra`` ones the app factory enables (the demo)."""
    app.extensions[_EXTENSION] = {platform.name: platform for platform in (*PLATFORMS, *extra)}


def registry() -> dict[str, Platform]:
    """The platforms enabled for the current app."""
    platforms: dict[str, Platform] = current_app.extensions[_EXTENSION]
    return platforms


def get(name: str) -> Platform | None:
    return registry().get(name)
