"""Pure mapping of WooCommerce REST payloads and Storeflow plugin events to canonical events.

REST payloads follow WooCommerce's documented v3 shapes (``date_*_gmt`` without an offset, ids
as integers, money as strings); plugin events follow the contract in issue 4.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from app import events as ev

Mapper = Callable[[int, dict[str, Any]], list[ev.Event]]
CANCELLED_STATUSES = frozenset({"cancelled", "refunded"})
PAID_STATUSES = frozenset({"processing", "completed"})
PRODUCT_STATUSES = {"publish": "active", "trash": "deleted"}  # draft, pending, private: draft
CONSENT_SOURCE = "woocommerce_checkout"
# Order meta where the Storeflow plugin may record the cart key the order came from; REST
# orders carry no session key of their own (``cart_hash`` is a hash of the contents).
CART_KEY_META = "_storeflow_cart_key"


class PayloadError(ValueError):
    """The payload lacks a field we need; the message names it."""


def _require(data: dict[str, Any], key: str) -> Any:
    value = data.get(key)
    if value is None or value == "":
        raise PayloadError(f"payload has no {key!r}")
    return value


def gmt_time(value: str) -> datetime:
    """A WooCommerce ``*_gmt`` time (no offset, UTC) or an ISO time with an offset."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        raise PayloadError(f"not a date-time: {value!r}") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def money(value: Any, field: str = "amount") -> Decimal:
    try:
        return Decimal(str(value if value not in (None, "") else "0"))
    except InvalidOperation:
        raise PayloadError(f"{field} is not a number: {value!r}") from None


def _optional_id(value: Any) -> str | None:
    return str(value) if value not in (None, "", 0, "0") else None


# --- REST: orders, customers, products ---------------------------------------------------


def _order_contact(p: dict[str, Any]) -> ev.Contact:
    billing = p.get("billing") or {}
    return ev.Contact(
        email=billing.get("email") or None,
        phone=billing.get("phone") or None,
        first_name=billing.get("first_name", ""),
        last_name=billing.get("last_name", ""),
        platform_customer_id=_optional_id(p.get("customer_id")),
    )


def _order_items(rows: list[dict[str, Any]]) -> tuple[ev.LineItem, ...]:
    return tuple(
        ev.LineItem(
            product_id=str(_require(row, "product_id")),
            variant_id=_optional_id(row.get("variation_id")),
            quantity=int(row.get("quantity", 1)),
            unit_price=money(row.get("price"), "line item price"),
            title=html.unescape(row.get("name", "")),
            image_url=(row.get("image") or {}).get("src") or None,
        )
        for row in rows
    )


def _order_event(cls: type[ev._OrderEvent], shop_id: int, p: dict[str, Any]) -> ev._OrderEvent:
    created = gmt_time(_require(p, "date_created_gmt"))
    shipping = dict(p.get("shipping") or {})
    if (p.get("billing") or {}).get("phone") and not shipping.get("phone"):
        shipping["phone"] = p["billing"]["phone"]
    return cls(
        shop_id=shop_id,
        order_id=str(_require(p, "id")),
        order_number=str(p.get("number") or p["id"]),
        cart_key=_meta(p, CART_KEY_META),
        customer=_order_contact(p),
        items=_order_items(p.get("line_items") or []),
        total=money(p.get("total"), "total"),
        currency=p.get("currency") or "EUR",
        payment_method=p.get("payment_method") or None,
        is_cod=p.get("payment_method") == "cod",
        paid=_is_paid(p),
        shipping_address=shipping,
        created_at=created,
        updated_at=gmt_time(p["date_modified_gmt"]) if p.get("date_modified_gmt") else created,
    )


def _meta(p: dict[str, Any], key: str) -> str | None:
    for row in p.get("meta_data") or []:
        if isinstance(row, dict) and row.get("key") == key and row.get("value"):
            return str(row["value"])
    return None


def _is_paid(p: dict[str, Any]) -> bool:
    return bool(p.get("date_paid_gmt")) or p.get("status") in PAID_STATUSES


def parse_order_created(shop_id: int, p: dict[str, Any]) -> list[ev.Event]:
    events: list[ev.Event] = [_order_event(ev.OrderCreated, shop_id, p)]
    if p.get("status") in CANCELLED_STATUSES:
        events.append(_order_event(ev.OrderCancelled, shop_id, p))
    elif _is_paid(p):
        events.append(_order_event(ev.OrderPaid, shop_id, p))
    return events


def parse_order_updated(shop_id: int, p: dict[str, Any]) -> list[ev.Event]:
    """The order's state now: cancelled, paid, or still an open order."""
    if p.get("status") in CANCELLED_STATUSES:
        return [_order_event(ev.OrderCancelled, shop_id, p)]
    if _is_paid(p):
        return [_order_event(ev.OrderPaid, shop_id, p)]
    return [_order_event(ev.OrderCreated, shop_id, p)]


def parse_order_deleted(shop_id: int, p: dict[str, Any]) -> list[ev.Event]:
    # Trashing sends the full order; a permanent delete sends only {"id": N}, which names an
    # order we cannot describe: keep what we have rather than invent dates.
    if "date_created_gmt" not in p:
        return []
    return [_order_event(ev.OrderCancelled, shop_id, p)]


def parse_customer(shop_id: int, p: dict[str, Any]) -> list[ev.Event]:
    billing = p.get("billing") or {}
    stamp = p.get("date_modified_gmt") or _require(p, "date_created_gmt")
    return [
        ev.CustomerUpdated(
            shop_id=shop_id,
            customer=ev.Contact(
                email=p.get("email") or billing.get("email") or None,
                phone=billing.get("phone") or None,
                first_name=p.get("first_name") or billing.get("first_name", ""),
                last_name=p.get("last_name") or billing.get("last_name", ""),
                platform_customer_id=str(_require(p, "id")),
            ),
            address=billing or None,
            updated_at=gmt_time(stamp),
        )
    ]


def variant_row(v: dict[str, Any]) -> dict[str, Any]:
    """A product variation as ``ProductChanged.variants`` carries it (our Variant columns)."""
    on_sale = bool(v.get("on_sale")) and v.get("regular_price") not in (None, "")
    return {
        "id": str(_require(v, "id")),
        "title": " / ".join(str(a.get("option", "")) for a in v.get("attributes") or []),
        "sku": v.get("sku") or None,
        "price": money(v["price"], "price") if v.get("price") not in (None, "") else None,
        "compare_at_price": money(v["regular_price"], "regular_price") if on_sale else None,
        "stock": v.get("stock_quantity"),
        "image_url": (v.get("image") or {}).get("src") or None,
    }


def product_event(
    shop_id: int, p: dict[str, Any], variations: list[dict[str, Any]] | None = None
) -> ev.ProductChanged:
    images = p.get("images") or []
    categories = p.get("categories") or []
    on_sale = bool(p.get("on_sale")) and p.get("regular_price") not in (None, "")
    return ev.ProductChanged(
        shop_id=shop_id,
        product_id=str(_require(p, "id")),
        title=html.unescape(p.get("name", "")),
        handle=p.get("slug") or None,
        url=p.get("permalink") or None,
        image_url=images[0].get("src") if images else None,
        category=categories[0].get("name") if categories else None,
        status=PRODUCT_STATUSES.get(p.get("status", "publish"), "draft"),
        price=money(p["price"], "price") if p.get("price") not in (None, "") else None,
        compare_at_price=money(p["regular_price"], "regular_price") if on_sale else None,
        in_stock=p.get("stock_status", "instock") != "outofstock",
        cross_sell_ids=tuple(str(i) for i in p.get("cross_sell_ids") or ()),
        upsell_ids=tuple(str(i) for i in p.get("upsell_ids") or ()),
        variants=tuple(variant_row(v) for v in variations or ()),
        updated_at=gmt_time(p.get("date_modified_gmt") or _require(p, "date_created_gmt")),
    )


def parse_product(shop_id: int, p: dict[str, Any]) -> list[ev.Event]:
    # Variations arrive on product.* topics too; they are not products of their own.
    if p.get("type") == "variation" or p.get("parent_id"):
        return []
    return [product_event(shop_id, p)]


def parse_product_deleted(shop_id: int, p: dict[str, Any]) -> list[ev.Event]:
    return [ev.ProductDeleted(shop_id=shop_id, product_id=str(_require(p, "id")))]


# --- Plugin events -----------------------------------------------------------------------


def _plugin_contact(p: dict[str, Any]) -> ev.Contact:
    consent = p.get("consent")
    return ev.Contact(
        email=p.get("email") or None,
        phone=p.get("phone") or None,
        first_name=p.get("first_name") or "",
        last_name=p.get("last_name") or "",
        locale=p.get("locale") or None,
        platform_customer_id=_optional_id(p.get("customer_id")),
        email_consent=consent if isinstance(consent, bool) else None,
        consent_source=CONSENT_SOURCE if isinstance(consent, bool) else None,
    )


def _plugin_items(rows: list[dict[str, Any]]) -> tuple[ev.LineItem, ...]:
    items = []
    for row in rows:
        quantity = int(_require(row, "quantity"))
        line_total = money(row.get("line_total"), "line_total")
        unit = (line_total / quantity).quantize(Decimal("0.01")) if quantity else line_total
        items.append(
            ev.LineItem(
                product_id=str(_require(row, "product_id")),
                variant_id=_optional_id(row.get("variation_id")),
                quantity=quantity,
                unit_price=unit,
                title=row.get("name") or "",
                image_url=row.get("image") or None,
                url=row.get("permalink") or None,
            )
        )
    return tuple(items)


def _plugin_cart(shop_id: int, p: dict[str, Any]) -> ev.CartUpdated:
    return ev.CartUpdated(
        shop_id=shop_id,
        cart_key=str(_require(p, "cart_key")),
        customer=_plugin_contact(p),
        items=_plugin_items(p.get("items") or []),
        total=money((p.get("totals") or {}).get("total"), "totals.total"),
        currency=_require(p, "currency"),
        updated_at=gmt_time(_require(p, "updated_at")),
    )


def parse_cart_updated(shop_id: int, p: dict[str, Any]) -> list[ev.Event]:
    return [_plugin_cart(shop_id, p)]


def parse_cart_emptied(shop_id: int, p: dict[str, Any]) -> list[ev.Event]:
    cart = _plugin_cart(shop_id, {**p, "items": []})
    return [cart]


def parse_checkout_contact(shop_id: int, p: dict[str, Any]) -> list[ev.Event]:
    cart = _plugin_cart(shop_id, p)
    contact = ev.CheckoutContact(
        shop_id=shop_id, cart_key=cart.cart_key, customer=cart.customer, updated_at=cart.updated_at
    )
    # An empty item list here says nothing about the cart; only a full one updates it.
    return [cart, contact] if cart.items else [contact]


def parse_store_disconnected(shop_id: int, p: dict[str, Any]) -> list[ev.Event]:
    return [ev.AppUninstalled(shop_id=shop_id)]


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
}
PLUGIN_HANDLERS: dict[str, Mapper] = {
    "cart.updated": parse_cart_updated,
    "cart.emptied": parse_cart_emptied,
    "checkout.contact": parse_checkout_contact,
    "store.disconnected": parse_store_disconnected,
}
HANDLERS: dict[str, Mapper] = {**REST_HANDLERS, **PLUGIN_HANDLERS}
