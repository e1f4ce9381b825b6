"""What the price-drop and back-in-stock flows share: a run per shopper holding the products
to tell them of, the send-time check that those are still true, and the email's context.

A run's context keeps ``products``: ``[{"product_id", "old_price", "new_price"}]`` (prices as
text; a restock has none), with ``"variant_id"`` when the shopper chose a variant the catalog
knows: that variant's price, not the product's "from" price, is the one checked and shown.
A second alert while the first waits (frequency cap, quiet hours) joins the same run, so the
shopper gets one email naming both.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from app.emails.context import shop_branding, shop_url
from app.flows.engine import clock
from app.flows.engine.definition import Enrollment, Settings, Step, Verdict
from app.flows.product_blocks import blocks_for, chosen, live_products, product_card
from app.models import Customer, FlowRun, Message, Product, Shop, ShopScope, Variant

# Blocks the merchant may add below the products the email is about.
EXTRA_BLOCKS = ("recommended",)
ALERT_BLOCK = {"price_drop": "price_drop", "back_in_stock": "back_in_stock"}


def enrollment(
    flow_key: str, shop_id: int, customer_id: int, products: list[dict[str, Any]]
) -> list[Enrollment]:
    """The shopper's run, or the waiting one with these products joined (newest news wins)."""
    customer = ShopScope(shop_id).get(Customer, customer_id)
    if customer is None or not customer.email or not customer.is_marketing_allowed("email"):
        return []
    subject = f"customer:{customer.id}"
    active = ShopScope(shop_id).first(
        FlowRun,
        FlowRun.flow_key == flow_key,
        FlowRun.subject_key == subject,
        FlowRun.state == "active",
    )
    earlier = list(active.context.get("products", [])) if active is not None else []
    merged = {p["product_id"]: p for p in [*earlier, *products]}
    context = {"email": customer.email, "products": list(merged.values())}
    return [Enrollment(subject, customer.id, clock.now(), context)]


def _still_true(kind: str, product_prices: dict[str, Any], current: Decimal) -> bool:
    if kind != "price_drop":
        return True  # live_products already says it can be bought
    # Still cheaper than the shopper saw it (a later rise above that ends the news).
    return current < Decimal(str(product_prices["old_price"]))


def alert_cards(shop_id: int, kind: str, run: FlowRun) -> list[dict[str, Any]]:
    """The run's products that are still news: live, priced, and (a drop) still cheaper
    than the shopper saw them; the price they saw struck through, today's price beside it."""
    wanted = {str(p["product_id"]): p for p in run.context.get("products", [])}
    products = live_products(shop_id, list(wanted))
    chosen = _variant_prices(shop_id, products, wanted)
    cards = []
    for product in products:
        given = wanted[product.platform_product_id]
        assert product.price is not None
        price = chosen.get(product.id, product.price)
        if not _still_true(kind, given, price):
            continue
        was = Decimal(str(given["old_price"])) if kind == "price_drop" else None
        cards.append({**product_card(product, was), "unit_price": price})
    return cards


def _variant_prices(
    shop_id: int, products: list[Product], wanted: dict[str, dict[str, Any]]
) -> dict[int, Decimal]:
    """Our product id -> today's price of the variant the shopper chose, where the run names
    one the catalog holds for that product with a price."""
    ours = {p.id: wanted[p.platform_product_id].get("variant_id") for p in products}
    names = {str(v) for v in ours.values() if v}
    if not names:
        return {}
    found = ShopScope(shop_id).all(
        Variant, Variant.platform_variant_id.in_(sorted(names)), Variant.price.is_not(None)
    )
    return {
        v.product_id: v.price
        for v in found
        if v.price is not None and ours.get(v.product_id) == v.platform_variant_id
    }


def still_news(kind: str) -> Callable[[Shop, FlowRun, Settings, datetime], Verdict | None]:
    """At send time: something left to tell (the run stops with nothing to show otherwise)."""

    def check(shop: Shop, run: FlowRun, settings: Settings, now: datetime) -> Verdict | None:
        if run.customer_id is None or not alert_cards(shop.id, kind, run):
            return Verdict(stop="nothing_to_show")
        return None

    return check


def composer(
    kind: str,
) -> Callable[[Shop, FlowRun, Step, Message, Settings, datetime], dict[str, Any]]:
    def compose(
        shop: Shop, run: FlowRun, step: Step, message: Message, settings: Settings, now: datetime
    ) -> dict[str, Any]:
        customer = ShopScope(shop.id).get(Customer, run.customer_id) if run.customer_id else None
        assert customer is not None  # the consent guard stopped the run otherwise
        cards = alert_cards(shop.id, kind, run)[: int(settings["products"])]
        shown = [c["product_id"] for c in cards]
        extra = blocks_for(
            shop.id,
            customer.id,
            chosen(settings, EXTRA_BLOCKS),
            int(settings["products"]),
            seeds=shown,
            exclude=shown,
        )
        return {
            "shop": shop_branding(shop),
            "shop_url": shop_url(shop),
            # The button leads to the product itself when the email is about one.
            "product_url": (cards[0]["url"] if len(cards) == 1 else None) or shop_url(shop),
            "customer": {"first_name": customer.first_name},
            "blocks": [{"kind": ALERT_BLOCK[kind], "products": cards}, *extra],
        }

    return compose


__all__ = ["EXTRA_BLOCKS", "alert_cards", "composer", "enrollment", "still_news"]
