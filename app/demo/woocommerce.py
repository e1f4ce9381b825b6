"""The WooCommerce demo store `make run` adds beside the demo boutique.

It has a shared secret but no REST keys: the plugin's signed events (see
``tests/connectors/woocommerce``) can be posted to it locally, while sync and reconcile,
which need a real store to call, leave it alone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from app.demo.shops import demo_shop
from app.events.catalog import upsert_products
from app.events.types import Offer, ProductChanged
from app.models import Shop, db

DEMO_STORE_URL = "https://demo-woo.storeflow.local"
DEMO_DOMAIN = "demo-woo.storeflow.local"
# Development only, like the demo boutique's webhook secret: 32 bytes in hex.
DEMO_SHARED_SECRET = "64656d6f2d776f6f2d7368617265642d7365637265742d6e6f742d7265616c21"
CATALOG = [
    ("12", "Bawełniana koszula", "Koszule", "119.00", ("30",)),
    ("30", "Skarpety w paski", "Dodatki", "29.00", ()),
    ("41", "Lniane spodnie", "Spodnie", "219.00", ("12",)),
    ("57", "Wełniany sweter", "Swetry", "289.00", ("30",)),
]


def seed_demo_store() -> Shop:
    shop = demo_shop(
        "woocommerce",
        DEMO_DOMAIN,
        "Demo WooCommerce Store",
        credentials={"shared_secret": DEMO_SHARED_SECRET},
        store_url=DEMO_STORE_URL,
    )
    seeded_at = datetime(2026, 1, 1, tzinfo=UTC)
    upsert_products(
        shop.id,
        [
            ProductChanged(
                shop_id=shop.id,
                product_id=pid,
                title=title,
                category=category,
                offer=Offer(price=Decimal(price)),
                cross_sell_ids=cross_sells,
                url=f"{DEMO_STORE_URL}/product/{pid}/",
                image_url=f"https://picsum.photos/seed/woo{pid}/300/300",
                updated_at=seeded_at,
            )
            for pid, title, category, price, cross_sells in CATALOG
        ],
    )
    db.session.commit()
    return shop
