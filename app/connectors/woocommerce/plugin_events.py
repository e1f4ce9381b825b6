"""Mapping the Storeflow plugin's signed events (issue 4's contract) to canonical events.

Cart and contact bodies: ``{cart_key, customer_id, session_id, email, phone, first_name,
last_name, locale, consent, items[{product_id, variation_id, quantity, line_total, name, image,
permalink}], coupons, totals{subtotal, total}, currency, updated_at}``.

``newsletter.signup`` (the plugin's ``[storeflow_signup]`` form or block): ``{email,
first_name, customer_id, locale, consent, birthday, source, updated_at}``, sent only when the
shopper ticked the consent box; ``birthday`` is ``YYYY-MM-DD`` or null. A sign-up like the
checkout box's: the welcome series starts (after a confirmation click with double opt-in).

The birthday the plugin asks for (classic checkout, My Account) also reaches us as the meta
``storeflow_birthday`` of WooCommerce's REST customers and orders (``mapping.py``).

``customer.erase`` (the plugin's WordPress personal-data eraser, Tools > Erase Personal Data,
forwarding the request): ``{email, customer_id, order_ids}`` with ``email`` required,
``customer_id`` the WordPress user id (0 or absent for a guest) and ``order_ids`` the
WooCommerce order ids of that email (optional). It goes through the same erasure as Shopify's
``customers/redact``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from app.connectors.base import ShopRef
from app.connectors.fields import (
    Mapper,
    PayloadError,
    currency,
    gmt_time,
    money,
    optional_id,
    require,
)
from app.events import types as ev
from app.events.visitors import VISITOR_ID

CONSENT_SOURCE = "woocommerce_checkout"
SIGNUP_SOURCE = "woocommerce_signup"
BIRTHDAY_META = "storeflow_birthday"


def birth_date(value: Any) -> date | None:
    """A ``YYYY-MM-DD`` the plugin sent (it checked the date; a bad one counts as none)."""
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _plugin_contact(p: dict[str, Any]) -> ev.Contact:
    # ``consent`` is the checkout's optional box: only a tick says something (consent given);
    # an unticked box withdraws nothing given earlier.
    consent = True if p.get("consent") is True else None
    return ev.Contact(
        email=p.get("email") or None,
        phone=p.get("phone") or None,
        first_name=p.get("first_name") or "",
        last_name=p.get("last_name") or "",
        locale=p.get("locale") or None,
        platform_customer_id=optional_id(p.get("customer_id")),
        email_consent=consent,
        consent_source=CONSENT_SOURCE if consent else None,
    )


def _plugin_items(rows: list[dict[str, Any]]) -> tuple[ev.LineItem, ...]:
    items = []
    for row in rows:
        quantity = int(require(row, "quantity"))
        line_total = money(row.get("line_total"), "line_total")
        unit = (line_total / quantity).quantize(Decimal("0.01")) if quantity else line_total
        items.append(
            ev.LineItem(
                product_id=str(require(row, "product_id")),
                variant_id=optional_id(row.get("variation_id")),
                quantity=quantity,
                unit_price=unit,
                title=row.get("name") or "",
                image_url=row.get("image") or None,
                url=row.get("permalink") or None,
            )
        )
    return tuple(items)


def _plugin_cart(shop: ShopRef, p: dict[str, Any]) -> ev.CartUpdated:
    return ev.CartUpdated(
        shop_id=shop.id,
        cart_key=str(require(p, "cart_key")),
        customer=_plugin_contact(p),
        items=_plugin_items(p.get("items") or []),
        total=money((p.get("totals") or {}).get("total"), "totals.total"),
        currency=currency(shop, p.get("currency")),
        visitor_id=_visitor(p.get("visitor_id")),
        updated_at=gmt_time(require(p, "updated_at")),
    )


def _visitor(value: Any) -> str | None:
    """The visitor cookie's id when it has the form our scripts give it; anything else is
    dropped (it only ever joins views, so a bad one must not fail the cart)."""
    return value if isinstance(value, str) and VISITOR_ID.match(value) else None


def parse_cart_updated(shop: ShopRef, p: dict[str, Any]) -> list[ev.Event]:
    return [_plugin_cart(shop, p)]


def parse_cart_emptied(shop: ShopRef, p: dict[str, Any]) -> list[ev.Event]:
    cart = _plugin_cart(shop, {**p, "items": []})
    return [cart]


def parse_checkout_contact(shop: ShopRef, p: dict[str, Any]) -> list[ev.Event]:
    cart = _plugin_cart(shop, p)
    contact = ev.CheckoutContact(
        shop_id=shop.id,
        cart_key=cart.cart_key,
        customer=cart.customer,
        visitor_id=cart.visitor_id,
        updated_at=cart.updated_at,
    )
    # An empty item list here says nothing about the cart; only a full one updates it.
    return [cart, contact] if cart.items else [contact]


def parse_newsletter_signup(shop: ShopRef, p: dict[str, Any]) -> list[ev.Event]:
    """A sign-up form: consent given by the ticked box (the plugin sends nothing without it)."""
    consent = True if p.get("consent") is True else None
    return [
        ev.CustomerUpdated(
            shop_id=shop.id,
            customer=ev.Contact(
                email=str(require(p, "email")).strip() or None,
                first_name=p.get("first_name") or "",
                locale=p.get("locale") or None,
                platform_customer_id=optional_id(p.get("customer_id")),
                email_consent=consent,
                consent_source=SIGNUP_SOURCE if consent else None,
            ),
            birthday=birth_date(p.get("birthday")),
            updated_at=gmt_time(require(p, "updated_at")),
        )
    ]


def parse_customer_erase(shop: ShopRef, p: dict[str, Any]) -> list[ev.Event]:
    email = str(require(p, "email")).strip()
    order_ids = p.get("order_ids") or []
    if not isinstance(order_ids, list):
        raise PayloadError("order_ids must be a list")
    return [
        ev.CustomerRedact(
            shop_id=shop.id,
            customer=ev.Contact(
                email=email, platform_customer_id=optional_id(p.get("customer_id"))
            ),
            order_ids=tuple(str(o) for o in order_ids if optional_id(o)),
        )
    ]


def parse_store_disconnected(shop: ShopRef, p: dict[str, Any]) -> list[ev.Event]:
    return [ev.AppUninstalled(shop_id=shop.id)]


PLUGIN_HANDLERS: dict[str, Mapper] = {
    "cart.updated": parse_cart_updated,
    "cart.emptied": parse_cart_emptied,
    "checkout.contact": parse_checkout_contact,
    "store.disconnected": parse_store_disconnected,
    "customer.erase": parse_customer_erase,
    "newsletter.signup": parse_newsletter_signup,
}
