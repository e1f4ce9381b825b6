"""The demo shops' identities, and finding or creating them (every `make run` seeds again)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import sqlalchemy as sa

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


def boutique() -> Shop:
    """The demo boutique, which the demo commands play shoppers against."""
    shop = db.session.scalars(
        sa.select(Shop).where(Shop.platform == "demo", Shop.domain == DEMO_DOMAIN)
    ).first()
    if shop is None:
        raise LookupError("no demo shop: run `flask storeflow seed-demo` (make run does it)")
    return shop
