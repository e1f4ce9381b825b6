"""Pure mapping of WooCommerce REST payloads to canonical events (plugin events: plugin_events).

REST payloads follow WooCommerce's documented v3 shapes (``date_*_gmt`` without an offset, ids
as integers, money as strings). ``HANDLERS`` is the connector's one dispatch table for both.
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from app.connectors.base import ShopRef
from app.connectors.fields import Mapper, currency, gmt_time, money, optional_id, require
from app.connectors.woocommerce.plugin_events import (
    BIRTHDAY_META,
    CONSENT_SOURCE,
    PLUGIN_HANDLERS,
    birth_date,
)
from app.events import types as ev

CANCELLED_STATUSES = frozenset({"cancelled", "refunded"})
PAID_STATUSES = frozenset({"processing", "completed"})
# Cash on delivery: WooCommerce puts the order in "processing" (or "on-hold") at checkout and
# may stamp ``date_paid`` then, yet nothing is paid until the courier hands the parcel over;
# the merchant marks it "completed" on delivery. So a COD order is paid only once completed.
COD_METHOD = "cod"
PRODUCT_STATUSES = {"publish": "active", "trash": "deleted"}  # draft, pending, private: draft
# Order meta the Storeflow plugin writes at checkout: the cart key the order came from (REST
# orders carry no session key of their own; ``cart_hash`` hashes the contents) and the state
# of its "send me reminders" checkbox ("yes"/"no").
CART_KEY_META = "storeflow_cart_key"
CONSENT_META = "storeflow_consent"
# The box is optional: left unticked it says "not now", not "stop". Only a ticked box speaks
# (consent given); withdrawing takes an explicit refusal or an unsubscribe.
CONSENT_VALUES = {"yes": True}


# --- REST: orders, customers, products ---------------------------------------------------


def _order_contact(p: dict[str, Any]) -> ev.Contact:
    billing = p.get("billing") or {}
    consent = CONSENT_VALUES.get(meta_value(p, CONSENT_META) or "")
    return ev.Contact(
        email=billing.get("email") or None,
        phone=billing.get("phone") or None,
        first_name=billing.get("first_name", ""),
        last_name=billing.get("last_name", ""),
        platform_customer_id=optional_id(p.get("customer_id")),
        email_consent=consent,
        consent_source=CONSENT_SOURCE if consent is not None else None,
    )


def _order_items(rows: list[dict[str, Any]]) -> tuple[ev.LineItem, ...]:
    return tuple(
        ev.LineItem(
            product_id=str(require(row, "product_id")),
            variant_id=optional_id(row.get("variation_id")),
            quantity=int(row.get("quantity", 1)),
            unit_price=money(row.get("price"), "line item price"),
            title=html.unescape(row.get("name", "")),
            image_url=(row.get("image") or {}).get("src") or None,
        )
        for row in rows
    )


_BILLING_ONLY = ("email",)


def _parcel_address(p: dict[str, Any]) -> dict[str, Any]:
    """Where the parcel goes: the shipping address, or the billing one when the order has none
    (a store without shipping zones leaves ``shipping`` empty); the billing phone fills in."""
    billing = dict(p.get("billing") or {})
    shipping = dict(p.get("shipping") or {})
    if not (shipping.get("address_1") and shipping.get("city")):
        shipping = {k: v for k, v in billing.items() if k not in _BILLING_ONLY}
    if billing.get("phone") and not shipping.get("phone"):
        shipping["phone"] = billing["phone"]
    return shipping


def _order_event(cls: type[ev._OrderEvent], shop: ShopRef, p: dict[str, Any]) -> ev._OrderEvent:
    created = gmt_time(require(p, "date_created_gmt"))
    shipping = _parcel_address(p)
    return cls(
        shop_id=shop.id,
        order_id=str(require(p, "id")),
        order_number=str(p.get("number") or p["id"]),
        cart_key=meta_value(p, CART_KEY_META),
        customer=_order_contact(p),
        items=_order_items(p.get("line_items") or []),
        total=money(p.get("total"), "total"),
        currency=currency(shop, p.get("currency")),
        payment_method=p.get("payment_method") or None,
        is_cod=p.get("payment_method") == COD_METHOD,
        shipping_address=shipping,
        discount_codes=tuple(str(c["code"]) for c in p.get("coupon_lines") or () if c.get("code")),
        created_at=created,
        paid_at=paid_at(p),
        updated_at=_modified(p),
    )


def _modified(p: dict[str, Any]) -> datetime:
    return gmt_time(p.get("date_modified_gmt") or require(p, "date_created_gmt"))


def meta_value(p: dict[str, Any], key: str) -> str | None:
    for row in p.get("meta_data") or []:
        if isinstance(row, dict) and row.get("key") == key and row.get("value"):
            return str(row["value"])
    return None


def paid_at(p: dict[str, Any]) -> datetime | None:
    """When the money came in, or None while it has not (a COD order until it is completed)."""
    status = p.get("status")
    if p.get("payment_method") == COD_METHOD:
        if status != "completed":
            return None
        return gmt_time(p.get("date_completed_gmt") or p.get("date_paid_gmt") or _modified(p))
    if p.get("date_paid_gmt"):
        return gmt_time(p["date_paid_gmt"])
    return _modified(p) if status in PAID_STATUSES else None


def _state(p: dict[str, Any]) -> type[ev._OrderEvent]:
    if p.get("status") in CANCELLED_STATUSES:
        return ev.OrderCancelled
    return ev.OrderPaid if paid_at(p) is not None else ev.OrderCreated


def _refunds_and_fulfilment(shop: ShopRef, p: dict[str, Any]) -> list[ev.Event]:
    """The order's refunds (each by its id, ``total`` negative as WooCommerce lists them),
    and its completion, which is when WooCommerce says the order was sent."""
    order_id, at = str(require(p, "id")), _modified(p)
    events: list[ev.Event] = [
        ev.OrderRefunded(
            shop_id=shop.id,
            order_id=order_id,
            refund_id=str(require(r, "id")),
            amount=abs(money(r.get("total"), "refund total")),
            refunded_at=at,
        )
        for r in p.get("refunds") or ()
    ]
    if p.get("status") == "completed":
        done = gmt_time(p.get("date_completed_gmt") or at)
        events.append(ev.OrderFulfilled(shop_id=shop.id, order_id=order_id, fulfilled_at=done))
    return events


def parse_order_created(shop: ShopRef, p: dict[str, Any]) -> list[ev.Event]:
    """A new order: placed, and whatever else it already is (paid, cancelled, refunded...)."""
    events: list[ev.Event] = [_order_event(ev.OrderCreated, shop, p)]
    if _state(p) is not ev.OrderCreated:
        events.append(_order_event(_state(p), shop, p))
    return events + _refunds_and_fulfilment(shop, p) + _birthday_given(shop, p)


def parse_order_updated(shop: ShopRef, p: dict[str, Any]) -> list[ev.Event]:
    """The order's state now (cancelled, paid, or still open), its refunds and completion."""
    return [
        _order_event(_state(p), shop, p),
        *_refunds_and_fulfilment(shop, p),
        *_birthday_given(shop, p),
    ]


def _birthday_given(shop: ShopRef, p: dict[str, Any]) -> list[ev.Event]:
    """The birthday typed at checkout (the plugin's order meta), as news about the buyer: a
    guest has no customer webhook to carry it."""
    born = birth_date(meta_value(p, BIRTHDAY_META))
    if born is None:
        return []
    return [
        ev.CustomerUpdated(
            shop_id=shop.id, customer=_order_contact(p), birthday=born, updated_at=_modified(p)
        )
    ]


def parse_order_deleted(shop: ShopRef, p: dict[str, Any]) -> list[ev.Event]:
    # Trashing sends the full order; a permanent delete sends only {"id": N}, which names an
    # order we cannot describe: keep what we have rather than invent dates.
    if "date_created_gmt" not in p:
        return []
    return [_order_event(ev.OrderCancelled, shop, p)]


def parse_customer(shop: ShopRef, p: dict[str, Any]) -> list[ev.Event]:
    billing = p.get("billing") or {}
    stamp = p.get("date_modified_gmt") or require(p, "date_created_gmt")
    return [
        ev.CustomerUpdated(
            shop_id=shop.id,
            customer=ev.Contact(
                email=p.get("email") or billing.get("email") or None,
                phone=billing.get("phone") or None,
                first_name=p.get("first_name") or billing.get("first_name", ""),
                last_name=p.get("last_name") or billing.get("last_name", ""),
                platform_customer_id=str(require(p, "id")),
            ),
            address=billing or None,
            birthday=birth_date(meta_value(p, BIRTHDAY_META)),
            updated_at=gmt_time(stamp),
        )
    ]


def _offer(p: dict[str, Any]) -> dict[str, Any]:
    """Price and stock of a product or variation. A product or variation whose stock is not
    managed still has a status the merchant sets by hand: "outofstock" counts as none left.
    ``manage_stock`` is "parent" on a variation whose product counts for it."""
    on_sale = bool(p.get("on_sale")) and p.get("regular_price") not in (None, "")
    status = p.get("stock_status", "instock")
    counted = p.get("manage_stock") and p.get("stock_quantity") is not None
    return {
        "price": money(p["price"], "price") if p.get("price") not in (None, "") else None,
        "compare_at_price": money(p["regular_price"], "regular_price") if on_sale else None,
        "stock": int(p["stock_quantity"]) if counted else (0 if status == "outofstock" else None),
        "sells_when_out": bool(p.get("backorders_allowed")) or status == "onbackorder",
    }


def variant_row(v: dict[str, Any]) -> ev.ProductVariant:
    """A product variation as ``ProductChanged.variants`` carries it."""
    return ev.ProductVariant(
        id=str(require(v, "id")),
        title=" / ".join(str(a.get("option", "")) for a in v.get("attributes") or []),
        sku=v.get("sku") or None,
        image_url=(v.get("image") or {}).get("src") or None,
        **_offer(v),
    )


def product_event(
    shop_id: int, p: dict[str, Any], variations: list[dict[str, Any]] | None = None
) -> ev.ProductChanged:
    """A product from a webhook or a REST page. Webhooks carry no variations, so price and
    stock always come from the product itself (WooCommerce keeps a variable product's price
    and stock status rolled up from its variations): both paths store the same summary."""
    images = p.get("images") or []
    categories = p.get("categories") or []
    return ev.ProductChanged(
        shop_id=shop_id,
        product_id=str(require(p, "id")),
        title=html.unescape(p.get("name", "")),
        handle=p.get("slug") or None,
        url=p.get("permalink") or None,
        image_url=images[0].get("src") if images else None,
        category=categories[0].get("name") if categories else None,
        status=PRODUCT_STATUSES.get(p.get("status", "publish"), "draft"),
        offer=ev.Offer(**_offer(p)),
        cross_sell_ids=tuple(str(i) for i in p.get("cross_sell_ids") or ()),
        upsell_ids=tuple(str(i) for i in p.get("upsell_ids") or ()),
        variants=tuple(variant_row(v) for v in variations or ()),
        updated_at=gmt_time(p.get("date_modified_gmt") or require(p, "date_created_gmt")),
    )


def parse_product(shop: ShopRef, p: dict[str, Any]) -> list[ev.Event]:
    # Variations arrive on product.* topics too; they are not products of their own.
    if p.get("type") == "variation":
        return []
    return [product_event(shop.id, p)]


def parse_product_deleted(shop: ShopRef, p: dict[str, Any]) -> list[ev.Event]:
    return [ev.ProductDeleted(shop_id=shop.id, product_id=str(require(p, "id")))]


def parse_coupon(shop: ShopRef, c: dict[str, Any]) -> list[ev.Event]:
    """A coupon already used: a redemption. WooCommerce raises ``usage_count`` without firing
    ``coupon.updated``, so orders' ``coupon_lines`` are the main source; this catches edits."""
    if not int(c.get("usage_count") or 0):
        return []
    modified = c.get("date_modified_gmt") or require(c, "date_created_gmt")
    return [
        ev.DiscountRedeemed(
            shop_id=shop.id, code=str(require(c, "code")), used_at=gmt_time(modified)
        )
    ]


REST_HANDLERS: dict[str, Mapper] = {
    "order.created": parse_order_created,
    "order.updated": parse_order_updated,
    "order.deleted": parse_order_deleted,
    "order.restored": parse_order_updated,
    "customer.created": parse_customer,
    "customer.updated": parse_customer,
    "product.created": parse_product,
    "product.updated": parse_product,
    "product.restored": parse_product,
    "product.deleted": parse_product_deleted,
    "coupon.updated": parse_coupon,
}
HANDLERS: dict[str, Mapper] = {**REST_HANDLERS, **PLUGIN_HANDLERS}
