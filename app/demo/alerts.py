"""Play a price drop in the demo boutique: a known shopper looks at a product, then the shop
lowers its price, and the price-drop alert goes to the outbox.

The views are posted to the running service's collector as the storefront script posts them
(so the view keeps the price the shopper saw); the new price arrives as a signed
``product/updated`` delivery, as the shop's own catalog webhook would. The service's worker
applies it through the catalog writer, whose news queues the alert job; with the fast clock the
email goes out at the next minute tick.
"""

from __future__ import annotations

import uuid
from decimal import ROUND_HALF_UP, Decimal

import requests

from app.demo.browsing import known_shopper, view_product
from app.demo.deliveries import post
from app.demo.shops import boutique
from app.flows import price_drop
from app.flows.engine.settings import save_settings
from app.models import Product, ShopScope, db, utcnow
from app.pipeline.storefront import ensure_collect_key

ALERT_FAST = {
    "email_delay_minutes": 0,
    "quiet_hours_enabled": False,
    "frequency_cap_hours": 0,
    "holdout_percent": 0,
}


def lowered_price(price: Decimal, percent: int) -> Decimal:
    return (price * (100 - percent) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def drop_price(
    email: str, product_id: str, percent: int
) -> tuple[list[int], Decimal, Decimal, requests.Response]:
    """(the collector's answers, old price, new price, the product webhook's answer)."""
    shop = boutique()
    ensure_collect_key(shop)
    save_settings(shop.id, price_drop.FLOW, ALERT_FAST, enabled=True)
    db.session.commit()
    product = ShopScope(shop.id).first(Product, Product.platform_product_id == product_id)
    if product is None or product.price is None:
        raise LookupError(f"the demo boutique has no priced product {product_id}")
    known_shopper(shop, email)
    statuses = view_product(shop, email, product_id, f"demo-visitor-{uuid.uuid4().hex[:12]}")
    old = Decimal(product.price)
    new = lowered_price(old, percent)
    payload = {
        "id": product.platform_product_id,
        "title": product.title,
        "url": product.url,
        "image_url": product.image_url,
        "category": product.category,
        "price": str(new),
        "in_stock": True,
        "updated_at": utcnow().isoformat(),
    }
    response = post(shop, "product/updated", payload)
    db.session.rollback()  # a fresh snapshot: the service stored the new price
    return statuses, old, new, response
