"""The demo shop `make run` starts with: a small Polish boutique on the demo connector."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from app.events import types as ev
from app.events.apply import apply_product_changed
from app.models import Shop, db, utcnow
from app.models.shop_settings import Branding, LegalAddress, Sender

DEMO_DOMAIN = "demo-boutique.storeflow.local"
DEMO_WEBHOOK_SECRET = "demo-webhook-secret"
DEMO_ADDRESS = LegalAddress("Demo Boutique sp. z o.o., ul. Mokotowska 12, 00-561 Warszawa")
DEMO_BRANDING = Branding(primary_color="#0f766e")
CATALOG = [
    ("1001", "Linen shirt", "Shirts", "189.00"),
    ("1002", "Wool scarf", "Accessories", "99.00"),
    ("1003", "Leather belt", "Accessories", "149.00"),
    ("1004", "Cotton chinos", "Trousers", "229.00"),
    ("1005", "Canvas tote bag", "Bags", "79.00"),
    ("1006", "Merino sweater", "Knitwear", "319.00"),
    ("1007", "Silk tie", "Accessories", "119.00"),
    ("1008", "Denim jacket", "Jackets", "349.00"),
]


def demo_shop(
    platform: str,
    domain: str,
    name: str,
    *,
    credentials: dict[str, Any],
    store_url: str | None = None,
    locale: tuple[str, str, str] = ("PLN", "pl", "Europe/Warsaw"),
) -> Shop:
    """Find or create a demo shop and (re)apply its demo profile; safe on every start."""
    shop = db.session.scalars(
        sa.select(Shop).where(Shop.platform == platform, Shop.domain == domain)
    ).first()
    if shop is None:
        shop = Shop(platform=platform, domain=domain, installed_at=utcnow())
        db.session.add(shop)
    shop.name, shop.status = name, "active"
    shop.currency, shop.locale, shop.timezone = locale
    shop.credentials = credentials
    # Emails need the sender's postal address in the footer (the law asks for it).
    shop.legal_address, shop.branding, shop.sender = DEMO_ADDRESS, DEMO_BRANDING, Sender(name)
    if store_url is not None:
        shop.store_connection = replace(shop.store_connection, store_url=store_url)
    db.session.flush()
    return shop


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
    from app.demo.labels import seed_settings

    seed_settings(shop)
    db.session.commit()
    from app.demo.woocommerce import seed_demo_store

    seed_demo_store()

    from app.demo.shopify import seed as seed_shopify

    seed_shopify()
    return shop
