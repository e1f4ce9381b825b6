"""Shopify deliveries for the benchmarks: the documented samples (``tests/fixtures/shopify``),
each made one shopper's own (ids, tokens, email), and the shops that receive them."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from app.models import FlowSetting, Shop, ShopScope, db, utcnow

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "shopify"
CHECKOUT = json.loads((FIXTURES / "checkouts_create.json").read_text())
ORDER = json.loads((FIXTURES / "orders_create.json").read_text())
ADDRESS = "Bench sp. z o.o., ul. Prosta 1, 00-001 Warszawa"
# The flows a checkout or an order reaches: each delivery goes all the way to a flow decision.
FLOWS = ("abandoned_cart", "cross_sell")


def make_shops(count: int) -> list[int]:
    """``count`` active Shopify shops with a legal address and their cart and order flows on."""
    shops = [
        Shop(
            platform="shopify",
            domain=f"bench-{n}.myshopify.com",
            status="active",
            name=f"Bench {n}",
            currency="PLN",
            locale="pl",
            timezone="Europe/Warsaw",
            settings={"address": ADDRESS},
            # Connected a day ago, as every real shop is (install sets it): a year-old imported
            # order is history, the minutes-old orders of the pipeline benchmark are news.
            installed_at=utcnow() - timedelta(days=1),
        )
        for n in range(count)
    ]
    db.session.add_all(shops)
    db.session.flush()
    for shop in shops:
        for key in FLOWS:
            ShopScope(shop.id).add(FlowSetting(flow_key=key, enabled=True, values={}))
    db.session.commit()
    return [shop.id for shop in shops]


def checkout(n: int, at: datetime) -> dict[str, Any]:
    """Shopper ``n``'s open checkout (marketing accepted, so a reminder is due)."""
    body = copy.deepcopy(CHECKOUT)
    body.update(
        id=10**12 + n,
        token=f"t{n}",
        cart_token=f"cart{n}",
        email=f"shopper{n}@example.com",
        buyer_accepts_marketing=True,
        created_at=at.isoformat(),
        updated_at=at.isoformat(),
    )
    body["customer"] = {**body.get("customer", {}), "id": 10**12 + n, "email": body["email"]}
    return body


def order(n: int, at: datetime) -> dict[str, Any]:
    """Shopper ``n``'s paid order of the same cart."""
    body = copy.deepcopy(ORDER)
    body.update(
        id=10**12 + n,
        order_number=n,
        name=f"#{n}",
        email=f"shopper{n}@example.com",
        cart_token=f"cart{n}",
        checkout_token=f"t{n}",
        financial_status="paid",
        cancelled_at=None,
        created_at=at.isoformat(),
        updated_at=at.isoformat(),
        processed_at=at.isoformat(),
    )
    body["customer"] = {**body.get("customer", {}), "id": 10**12 + n, "email": body["email"]}
    return body
