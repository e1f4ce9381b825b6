"""Pure mapping of demo payloads to canonical events."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from app.connectors.base import ShopRef
from app.events import types as ev


def _time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"timestamp without offset: {value!r}")
    return parsed


def _contact(data: dict[str, Any]) -> ev.Contact:
    return ev.Contact(
        email=data.get("email"),
        phone=data.get("phone"),
        first_name=data.get("first_name", ""),
        last_name=data.get("last_name", ""),
        locale=data.get("locale"),
        platform_customer_id=data.get("id") and str(data["id"]),
        email_consent=data.get("accepts_marketing"),
        sms_consent=data.get("accepts_sms"),
        consent_source="demo",
    )


def _items(rows: list[dict[str, Any]]) -> tuple[ev.LineItem, ...]:
    return tuple(
        ev.LineItem(
            product_id=str(row["product_id"]),
            variant_id=row.get("variant_id") and str(row["variant_id"]),
            quantity=int(row.get("quantity", 1)),
            unit_price=Decimal(str(row.get("price", "0"))),
            title=row.get("title", ""),
            image_url=row.get("image_url"),
            url=row.get("url"),
        )
        for row in rows
    )


def parse_cart(shop: ShopRef, p: dict[str, Any]) -> list[ev.Event]:
    return [
        ev.CartUpdated(
            shop_id=shop.id,
            cart_key=str(p["cart_key"]),
            customer=_contact(p.get("customer") or {}),
            items=_items(p.get("items", [])),
            total=Decimal(str(p.get("total", "0"))),
            currency=p.get("currency") or shop.currency,
            restore_url=p.get("restore_url"),
            updated_at=_time(p["updated_at"]),
        )
    ]


def _order(cls: type[ev._OrderEvent]) -> Callable[[ShopRef, dict[str, Any]], list[ev.Event]]:
    def parse(shop: ShopRef, p: dict[str, Any]) -> list[ev.Event]:
        return [
            cls(
                shop_id=shop.id,
                order_id=str(p["id"]),
                order_number=p.get("number"),
                cart_key=p.get("cart_key"),
                customer=_contact(p.get("customer") or {}),
                items=_items(p.get("items", [])),
                total=Decimal(str(p.get("total", "0"))),
                currency=p.get("currency") or shop.currency,
                payment_method=p.get("payment_method"),
                is_cod=p.get("payment_method") == "cod",
                shipping_address=p.get("shipping_address") or {},
                created_at=_time(p["created_at"]),
                paid_at=_time(p.get("updated_at") or p["created_at"]) if p.get("paid") else None,
                updated_at=_time(p.get("updated_at") or p["created_at"]),
            )
        ]

    return parse


def parse_product(shop: ShopRef, p: dict[str, Any]) -> list[ev.Event]:
    return [
        ev.ProductChanged(
            shop_id=shop.id,
            product_id=str(p["id"]),
            title=p["title"],
            url=p.get("url"),
            image_url=p.get("image_url"),
            category=p.get("category"),
            offer=ev.Offer(
                price=Decimal(str(p["price"])) if p.get("price") is not None else None,
                stock=None if p.get("in_stock", True) else 0,
            ),
            updated_at=_time(p["updated_at"]),
        )
    ]


def parse_customer(shop: ShopRef, p: dict[str, Any]) -> list[ev.Event]:
    """A demo shopper's profile: consent, and the birthday the shop knows (``YYYY-MM-DD``)."""
    born = p.get("birthday")
    return [
        ev.CustomerUpdated(
            shop_id=shop.id,
            customer=_contact(p),
            birthday=date.fromisoformat(born) if born else None,
            updated_at=_time(p["updated_at"]),
        )
    ]


HANDLERS: dict[str, Callable[[ShopRef, dict[str, Any]], list[ev.Event]]] = {
    "cart/updated": parse_cart,
    "order/created": _order(ev.OrderCreated),
    "order/paid": _order(ev.OrderPaid),
    "order/cancelled": _order(ev.OrderCancelled),
    "product/updated": parse_product,
    "customer/updated": parse_customer,
}
