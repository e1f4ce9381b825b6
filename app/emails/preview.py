"""Preview any email for a sample or a real cart, and send a test to the merchant."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

from app.emails.compose import compose_one_off
from app.emails.context import cart_context, product_cards, shop_branding, shop_url
from app.emails.merchant_copy import DISCOUNTED
from app.emails.rendering import EmailContent, render_email
from app.emails.senders import get_sender
from app.emails.tracking import unsubscribe_url
from app.models import Cart, Shop, ShopScope, db, utcnow

# Shown when the shop has no synced products yet, so a fresh install can still preview.
SAMPLE_ITEMS: list[dict[str, Any]] = [
    {
        "title": "Linen shirt",
        "variant_title": "M / White",
        "image_url": "https://picsum.photos/seed/storeflow-1/300/300",
        "quantity": 1,
        "unit_price": Decimal("189.00"),
        "compare_at_price": Decimal("219.00"),
        "url": None,
    },
    {
        "title": "Wool scarf",
        "variant_title": "",
        "image_url": "https://picsum.photos/seed/storeflow-2/300/300",
        "quantity": 2,
        "unit_price": Decimal("99.00"),
        "compare_at_price": None,
        "url": None,
    },
]


# Templates whose flows fill ``recommendations`` (and show no cart).
RECOMMENDING = frozenset({"cross_sell", "reactivation_1", "reactivation_2"})


# Templates that show one-to-one product blocks (what the shopper viewed, bought...).
BLOCKS_SAMPLE = frozenset({"browse_abandonment", "welcome_3", "replenishment"})
# Templates about the shopper, not a cart: no cart in their sample.
NO_CART = frozenset({"welcome_1", "welcome_2", "welcome_confirm", "birthday"})


def _sample_blocks(template: str, context: dict[str, Any]) -> list[dict[str, Any]]:
    """The blocks as a shopper would get them: the sample cart's products as "viewed"."""
    if template == "welcome_3":
        return [{"kind": "bestsellers", "products": context["recommendations"][:3]}]
    if template == "replenishment":
        return [{"kind": "buy_again", "products": context["items"]}]
    viewed = context["items"]
    on_sale = [p for p in viewed if p.get("compare_at_price")]
    return [
        {"kind": "last_viewed", "products": viewed},
        {"kind": "recommended", "products": context["recommendations"][:3]},
        {"kind": "discounted", "products": on_sale},
    ]


def _shop(shop_id: int) -> Shop:
    shop = db.session.get(Shop, shop_id)
    if shop is None:
        raise LookupError(f"no shop with id {shop_id}")
    return shop


def preview_context(
    shop: Shop, template: str, locale: str, cart_id: int | None = None, recipient: str = ""
) -> dict[str, Any]:
    """A complete context: the real cart when given, else the shop's products as a sample."""
    if cart_id is not None:
        cart = ShopScope(shop.id).get(Cart, cart_id)
        if cart is None:
            raise LookupError(f"no cart {cart_id} in shop {shop.id}")
        context = cart_context(shop, cart)
    else:
        items = product_cards(shop.id, limit=2) or SAMPLE_ITEMS
        context = {
            "shop": shop_branding(shop),
            "shop_url": shop_url(shop),
            "customer": {"first_name": "Anna"},
            "items": items,
            "total": sum(Decimal(str(i["unit_price"])) * i["quantity"] for i in items),
            "currency": shop.currency,
            "restore_url": shop_url(shop),
        }
    exclude = tuple(str(item.get("product_id")) for item in context["items"])
    context.update(
        recommendations=product_cards(shop.id, limit=4, exclude=exclude) or SAMPLE_ITEMS,
        discount={
            "code": "PREVIEW-10",
            "percentage": 10,
            "expires_at": utcnow() + timedelta(hours=48),
        },
        tracking={"number": "620000000000000000000000", "url": shop_url(shop), "company": "InPost"},
        unsubscribe_url=unsubscribe_url(shop.id, recipient or "preview@example.com", locale),
    )
    # Each sample shows only what its template is for.
    if template not in DISCOUNTED:
        context["discount"] = None
    if template not in RECOMMENDING:
        context["recommendations"] = []
    else:
        context["items"] = []  # these flows show suggestions, not a cart
    if template != "shipping_notice":
        context["tracking"] = None
    if template in NO_CART:
        context["items"] = []
    if template == "welcome_confirm":
        context["confirm_url"] = shop_url(shop)  # a sample: a real link names a customer
    if template in BLOCKS_SAMPLE:
        context["blocks"] = _sample_blocks(template, context)
        context["items"] = context["recommendations"] = []
    return context


def preview_email(
    shop_id: int,
    template: str,
    locale: str,
    cart_id: int | None = None,
    copy: Mapping[str, str] | None = None,
) -> EmailContent:
    """The email as a shopper would get it; in the merchant's own words when ``copy`` holds
    them (checked by ``merchant_copy.check`` first)."""
    shop = _shop(shop_id)
    context = preview_context(shop, template, locale, cart_id)
    return render_email(template, context, locale, copy)


def send_test_email(
    shop_id: int, template: str, to: str, locale: str, copy: Mapping[str, str] | None = None
) -> str:
    """Send the preview to ``to`` (the merchant) through the configured sender."""
    shop = _shop(shop_id)
    context = preview_context(shop, template, locale, recipient=to)
    email, content = compose_one_off(shop, template, context, locale, to=to, copy=copy)
    return get_sender().send(replace(email, subject=f"[TEST] {content.subject}"))
