"""Template context from our rows: the shop's branding, a cart's lines, the sender identity.

Flows and the preview build their context here, so an email looks the same whether a shopper
or the merchant is reading it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from flask import current_app

from app.models import Cart, Customer, Product, Shop, ShopScope

ITEM_KEYS = (
    "product_id",
    "title",
    "variant_title",
    "image_url",
    "quantity",
    "unit_price",
    "compare_at_price",
    "url",
)


def shop_branding(shop: Shop) -> dict[str, Any]:
    """The ``shop`` context: merchant settings first, the shop row second.

    ``address`` stays empty unless the merchant gave one; rendering then refuses a marketing
    email rather than send one without the sender's postal address.
    """
    branding = shop.branding
    return {
        "name": shop.name or shop.domain,
        "logo_url": branding.logo_url,
        "primary_color": branding.primary_color,
        "sender_name": shop.display_name,
        "address": shop.legal_address.text,
        "timezone": shop.timezone,
        "currency": shop.currency,
    }


def shop_url(shop: Shop) -> str:
    return f"https://{shop.domain}/"


def sender_identity(shop: Shop) -> tuple[str, str]:
    """(from address, from name): the shop's own verified address when set, else ours."""
    return shop.sender.email or current_app.config["MAIL_FROM"], shop.display_name


def message_domain() -> str:
    """The domain our Message-IDs end in: the host of the public URL."""
    return urlparse(current_app.config["PUBLIC_URL"]).hostname or "storeflow.local"


def cart_items(cart: Cart) -> list[dict[str, Any]]:
    return [{key: line.get(key) for key in ITEM_KEYS} for line in cart.items]


def cart_context(shop: Shop, cart: Cart) -> dict[str, Any]:
    """Everything a cart email shows about the cart and who left it."""
    customer = (
        ShopScope(shop.id).get(Customer, cart.customer_id) if cart.customer_id is not None else None
    )
    return {
        "shop": shop_branding(shop),
        "shop_url": shop_url(shop),
        "customer": {"first_name": customer.first_name if customer else ""},
        "items": cart_items(cart),
        "total": cart.total,
        "currency": cart.currency,
        "restore_url": cart.restore_url or shop_url(shop),
    }


def product_cards(
    shop_id: int, limit: int = 3, exclude: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """Active, in-stock products as template cards (recommendations and the preview sample)."""
    products = ShopScope(shop_id).session.scalars(
        ShopScope(shop_id)
        .select(
            Product,
            Product.status == "active",
            Product.in_stock.is_(True),
            Product.platform_product_id.notin_(exclude),
        )
        .order_by(Product.id)
        .limit(limit)
    )
    return [
        {
            "title": p.title,
            "variant_title": "",
            "image_url": p.image_url,
            "quantity": 1,
            "unit_price": p.price or 0,
            "compare_at_price": p.compare_at_price,
            "url": p.url,
        }
        for p in products
    ]
