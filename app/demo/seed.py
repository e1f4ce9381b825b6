"""The demo shops `make run` starts with: a small Polish boutique on the demo connector, a
WooCommerce store and a Shopify store, each with a small catalog."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from app.demo import shopify, woocommerce
from app.demo.labels import seed_settings
from app.demo.shops import CATALOG, DEMO_DOMAIN, DEMO_WEBHOOK_SECRET, demo_shop
from app.events import types as ev
from app.events.apply import apply_product_changed
from app.models import Shop, db

__all__ = ["CATALOG", "DEMO_DOMAIN", "seed"]


def seed() -> Shop:
    shop = demo_shop(
        "demo",
        DEMO_DOMAIN,
        "Demo Boutique",
        credentials={"webhook_secret": DEMO_WEBHOOK_SECRET},
    )
    seeded_at = datetime(2026, 1, 1, tzinfo=UTC)
    for pid, title, category, price in CATALOG:
        apply_product_changed(
            ev.ProductChanged(
                shop_id=shop.id,
                product_id=pid,
                title=title,
                category=category,
                offer=ev.Offer(price=Decimal(price)),
                url=f"https://{DEMO_DOMAIN}/products/{pid}",
                image_url=f"https://picsum.photos/seed/{pid}/300/300",
                updated_at=seeded_at,
            )
        )
    seed_settings(shop)
    db.session.commit()
    woocommerce.seed_demo_store()
    shopify.seed()
    return shop
