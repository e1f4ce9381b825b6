"""Where a merchant finds their labels, and the demo boutique's signed links.

The merchant's labels are in the merchant page's Labels tab, inside the shop's own admin
(Shopify's app page, the WordPress plugin's Storeflow dashboard), which proves the shop on
every request; ``merchant_page_url`` is that admin address, for emails such as the tracking
digest. No link opens the labels on its own.

``sign``/``load``/``shop_for`` remain for the demo boutique's page (``app/demo/views.py``,
registered only with the demo connector on): its links are unguessable and expire.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app.connectors.shopify.auth import shop_name
from app.models import Shop, db

MAX_AGE = 7 * 24 * 3600
WORDPRESS_PAGE = "wp-admin/admin.php?page=storeflow-dashboard"  # the plugin's EmbeddedPage::SLUG


def _serializer(kind: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"storeflow-labels-{kind}")


def sign(kind: str, payload: dict[str, Any]) -> str:
    return str(_serializer(kind).dumps(payload))


def load(kind: str, token: str) -> dict[str, Any] | None:
    """The signed payload, or None for a forged, altered or expired token."""
    try:
        payload = _serializer(kind).loads(token, max_age=MAX_AGE)
    except BadSignature:
        return None
    return payload if isinstance(payload, dict) else None


def shop_for(token: str) -> Shop | None:
    """The shop a signed (demo) label-page token names; None for a forged or expired one."""
    payload = load("shop", token)
    return db.session.get(Shop, payload["shop"]) if payload else None


def merchant_page_url(shop: Shop) -> str | None:
    """The merchant page in the shop's own admin (the admin signs the merchant in), or None
    for a shop whose admin does not frame our page."""
    if shop.platform == "shopify":
        api_key = current_app.config["SHOPIFY_API_KEY"]
        return f"https://admin.shopify.com/store/{shop_name(shop.domain)}/apps/{api_key}"
    if shop.platform == "woocommerce" and shop.store_url:
        return f"{shop.store_url.rstrip('/')}/{WORDPRESS_PAGE}"
    return None
