"""Pure mapping of Shopify webhook payloads (REST-shaped JSON) to canonical events, and of
bulk-export products (GraphQL JSONL) to the same ``ProductChanged`` a webhook gives.

No database, no network: each parser takes the shop it belongs to and the decoded body and
returns events. ``HANDLERS`` is the dispatch table the connector normalizes with.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from app.connectors.base import ShopRef
from app.connectors.fields import currency, money, optional_id, required_time
from app.connectors.shopify.customers import contact, verify_consent
from app.events import types as ev

_COD_GATEWAYS = ("cash on delivery", "cash_on_delivery", "cod")


def _items(rows: list[dict[str, Any]]) -> tuple[ev.LineItem, ...]:
    return tuple(
        ev.LineItem(
            product_id=optional_id(row.get("product_id")) or "",
            variant_id=optional_id(row.get("variant_id")),
            quantity=int(row.get("quantity") or 1),
            unit_price=money(row.get("price")),
            title=row.get("title") or row.get("name") or "",
            variant_title=row.get("variant_title") or "",
            compare_at_price=money(row["compare_at_price"])
            if row.get("compare_at_price")
            else None,
        )
        for row in rows or []
    )


def parse_checkout(shop: ShopRef, p: dict[str, Any]) -> list[ev.Event]:
    """checkouts/create|update: the cart as it stands, plus the contact once one is typed."""
    updated_at = required_time(p, "updated_at", "created_at")
    who = contact(p)
    cart_key = str(p["token"])
    result: list[ev.Event] = [
        ev.CartUpdated(
            shop_id=shop.id,
            cart_key=cart_key,
            customer=who,
            items=_items(p.get("line_items", [])),
            total=money(p.get("total_price")),
            currency=currency(shop, p.get("currency"), p.get("presentment_currency")),
            restore_url=p.get("abandoned_checkout_url"),
            platform_cart_token=optional_id(p.get("cart_token")),
            updated_at=updated_at,
        )
    ]
    if who.email or who.phone:
        result.append(
            ev.CheckoutContact(
                shop_id=shop.id, cart_key=cart_key, customer=who, updated_at=updated_at
            )
        )
    return result


def parse_checkout_deleted(shop: ShopRef, p: dict[str, Any]) -> list[ev.Event]:
    """checkouts/delete names the checkout by ``id`` and ``cart_token`` only; since 2026-04
    create/update carry no ``id``, so the cart token (kept from them) is what matches."""
    token = optional_id(p.get("cart_token"))
    return [ev.CartDeleted(shop_id=shop.id, platform_cart_token=token)] if token else []


def _is_cod(gateways: list[str]) -> bool:
    return any(
        name.strip().lower() in _COD_GATEWAYS or "cash on delivery" in name.lower()
        for name in gateways
    )


# ``financial_status`` values that mean the money came in (pending, authorized, partially_paid,
# voided and expired do not): what a cash-on-delivery order reaches once marked paid.
PAID_STATUSES = frozenset({"paid", "partially_refunded", "refunded"})
# A fulfilment in these states went (or is going) out; cancelled, error and failure did not.
SENT_FULFILMENTS = frozenset({"pending", "open", "success"})


def _order_state(p: dict[str, Any]) -> type[ev._OrderEvent]:
    """What the order body itself says it is: cancelled, paid, or only placed."""
    if p.get("cancelled_at"):
        return ev.OrderCancelled
    if str(p.get("financial_status") or "").lower() in PAID_STATUSES:
        return ev.OrderPaid
    return ev.OrderCreated


def _order_event(cls: type[ev._OrderEvent], shop: ShopRef, p: dict[str, Any]) -> ev._OrderEvent:
    gateways = [str(g) for g in p.get("payment_gateway_names") or []]
    updated_at = required_time(p, "updated_at", "created_at")
    return cls(
        shop_id=shop.id,
        order_id=str(p["id"]),
        order_number=p.get("name") or optional_id(p.get("order_number")),
        # Orders carry the checkout's token: the key the abandoned cart was stored under.
        cart_key=p.get("checkout_token"),
        customer=contact(p),
        items=_items(p.get("line_items", [])),
        total=money(p.get("total_price")),
        currency=currency(shop, p.get("currency")),
        payment_method=gateways[0] if gateways else None,
        is_cod=_is_cod(gateways),
        shipping_address=p.get("shipping_address") or {},
        discount_codes=tuple(
            str(d["code"]) for d in p.get("discount_codes") or () if d.get("code")
        ),
        # processed_at is when the order was placed (it differs from created_at for orders
        # imported into Shopify); the body has no payment time, so a paid order counts as paid
        # from the first update that says so (apply keeps the earliest).
        created_at=required_time(p, "processed_at", "created_at"),
        paid_at=updated_at if _order_state(p) is ev.OrderPaid else None,
        updated_at=updated_at,
    )


def _order(placed: bool) -> Callable[[ShopRef, dict[str, Any]], list[ev.Event]]:
    """orders/*: the order as its body describes it, whatever the topic's name. orders/create
    also announces the placing; orders/paid with an unpaid body (the documented sample is a
    voided, cancelled order) does not make it paid; refunds and fulfilments inside the body
    are reported like their own webhooks (apply counts each once)."""

    def parse(shop: ShopRef, p: dict[str, Any]) -> list[ev.Event]:
        state = _order_state(p)
        classes: list[type[ev._OrderEvent]] = [ev.OrderCreated] if placed else []
        if state not in classes:
            classes.append(state)
        return [_order_event(cls, shop, p) for cls in classes] + _refunds_and_fulfilments(shop, p)

    return parse


def parse_order_cancelled(shop: ShopRef, p: dict[str, Any]) -> list[ev.Event]:
    """orders/cancelled: cancelled by the topic's own word (the body agrees: cancelled_at)."""
    return [_order_event(ev.OrderCancelled, shop, p), *_refunds_and_fulfilments(shop, p)]


def _refunds_and_fulfilments(shop: ShopRef, p: dict[str, Any]) -> list[ev.Event]:
    order_id = str(p["id"])
    refunds: list[ev.Event] = [_refund(shop, order_id, r) for r in p.get("refunds") or ()]
    return refunds + _fulfilments(shop, order_id, p.get("fulfillments") or ())


def _refund(shop: ShopRef, order_id: str, r: dict[str, Any]) -> ev.OrderRefunded:
    """A refund: the money its successful refund transactions gave back (a restock without
    money back refunds nothing)."""
    amount = sum(
        (
            money(t.get("amount"), "refund transaction amount")
            for t in r.get("transactions") or ()
            if t.get("kind") == "refund" and t.get("status") == "success"
        ),
        Decimal("0"),
    )
    return ev.OrderRefunded(
        shop_id=shop.id,
        order_id=order_id,
        refund_id=str(r["id"]),
        amount=amount,
        refunded_at=required_time(r, "processed_at", "created_at"),
    )


def parse_refund(shop: ShopRef, p: dict[str, Any]) -> list[ev.Event]:
    """refunds/create: the Refund resource, with the order it belongs to."""
    return [_refund(shop, str(p["order_id"]), p)]


def _fulfilments(shop: ShopRef, order_id: str, rows: Iterable[dict[str, Any]]) -> list[ev.Event]:
    return [
        ev.OrderFulfilled(
            shop_id=shop.id, order_id=order_id, fulfilled_at=required_time(f, "created_at")
        )
        for f in rows
        if str(f.get("status") or "").lower() in SENT_FULFILMENTS
    ]


def parse_fulfillment(shop: ShopRef, p: dict[str, Any]) -> list[ev.Event]:
    """fulfillments/create|update: the Fulfillment resource; a cancelled one sends nothing."""
    return _fulfilments(shop, str(p["order_id"]), [p])


def parse_customer(shop: ShopRef, p: dict[str, Any]) -> list[ev.Event]:
    return [
        ev.CustomerUpdated(
            shop_id=shop.id,
            customer=contact(
                {
                    "customer": p,
                    "email": p.get("email"),
                    "phone": p.get("phone"),
                    "locale": p.get("locale"),
                }
            ),
            address=p.get("default_address"),
            birthday=birth_date(p.get("metafields"), shop.birthday_metafield),
            updated_at=required_time(p, "updated_at", "created_at"),
        )
    ]


def birth_date(metafields: Any, named: str) -> date | None:
    """The birth date in the customer's metafield ``named`` (namespace.key), when the body
    carries it: a customer webhook lists the metafields of the namespaces its subscription
    names (``metafieldNamespaces``), each as the REST Metafield resource
    ``{namespace, key, value, type, ...}``; a ``date`` value is ``YYYY-MM-DD``."""
    namespace, _, key = named.partition(".")
    for field in metafields if isinstance(metafields, list) else ():
        if not isinstance(field, dict):
            continue
        if field.get("namespace") == namespace and field.get("key") == key:
            try:
                return date.fromisoformat(str(field.get("value") or "")[:10])
            except ValueError:
                return None
    return None


def parse_customer_deleted(shop: ShopRef, p: dict[str, Any]) -> list[ev.Event]:
    """customers/delete carries the customer's id only."""
    customer_id = optional_id(p.get("id"))
    if customer_id is None:
        return []
    return [
        ev.CustomerDeleted(shop_id=shop.id, customer=ev.Contact(platform_customer_id=customer_id))
    ]


def legacy_id(gid: Any) -> str:
    """``gid://shopify/Product/123`` -> ``123`` (the id webhooks carry)."""
    return str(gid).rsplit("/", 1)[-1]


def _price(value: Any) -> Decimal | None:
    return Decimal(str(value)) if value not in (None, "") else None


def _status(value: Any) -> str:
    # Shopify: active, draft, archived (lower-case in webhooks, upper-case in GraphQL).
    return "active" if str(value or "active").lower() == "active" else "draft"


# One variant's facts under their webhook (REST) and bulk export (GraphQL) names.
_WEBHOOK_VARIANT = ("compare_at_price", "inventory_quantity", "inventory_policy")
_BULK_VARIANT = ("compareAtPrice", "inventoryQuantity", "inventoryPolicy")


def _variant(row: dict[str, Any], names: tuple[str, str, str]) -> ev.ProductVariant:
    compare_at, quantity, policy = names
    return ev.ProductVariant(
        id=legacy_id(row["id"]),
        title=row.get("title") or "",
        sku=row.get("sku") or None,
        price=_price(row.get("price")),
        compare_at_price=_price(row.get(compare_at)),
        stock=row.get(quantity),
        sells_when_out=str(row.get(policy) or "").lower() == "continue",
    )


def parse_product(shop: ShopRef, p: dict[str, Any]) -> list[ev.Event]:
    """products/create|update. Since 2024-07 the payload says nothing of inventory tracking
    (``inventory_management`` is gone), so stock is read from quantity and policy, as in
    ``parse_bulk_product``."""
    return [
        ev.ProductChanged(
            shop_id=shop.id,
            product_id=str(p["id"]),
            title=p.get("title") or "",
            handle=p.get("handle"),
            url=shop.product_page(p.get("handle")),
            image_url=(p.get("image") or {}).get("src"),
            category=p.get("product_type") or None,
            status=_status(p.get("status")),
            variants=tuple(_variant(row, _WEBHOOK_VARIANT) for row in p.get("variants") or []),
            updated_at=required_time(p, "updated_at", "created_at"),
        )
    ]


def parse_bulk_product(
    shop: ShopRef, node: dict[str, Any], variant_nodes: list[dict[str, Any]]
) -> ev.ProductChanged:
    """A product line of the bulk export with its variant lines (``__parentId``)."""
    image = ((node.get("featuredMedia") or {}).get("preview") or {}).get("image") or {}
    return ev.ProductChanged(
        shop_id=shop.id,
        product_id=legacy_id(node["id"]),
        title=node.get("title") or "",
        handle=node.get("handle"),
        url=shop.product_page(node.get("handle"), node.get("onlineStoreUrl")),
        image_url=image.get("url"),
        category=node.get("productType") or None,
        status=_status(node.get("status")),
        variants=tuple(_variant(row, _BULK_VARIANT) for row in variant_nodes),
        updated_at=required_time(node, "updatedAt"),
    )


def parse_product_deleted(shop: ShopRef, p: dict[str, Any]) -> list[ev.Event]:
    return [ev.ProductDeleted(shop_id=shop.id, product_id=str(p["id"]))]


def parse_uninstalled(shop: ShopRef, p: dict[str, Any]) -> list[ev.Event]:
    return [ev.AppUninstalled(shop_id=shop.id)]


def _compliance_contact(p: dict[str, Any]) -> ev.Contact:
    customer = p.get("customer") or {}
    return ev.Contact(
        email=customer.get("email"),
        phone=customer.get("phone"),
        platform_customer_id=optional_id(customer.get("id")),
    )


def parse_customer_redact(shop: ShopRef, p: dict[str, Any]) -> list[ev.Event]:
    return [
        ev.CustomerRedact(
            shop_id=shop.id,
            customer=_compliance_contact(p),
            order_ids=tuple(str(o) for o in p.get("orders_to_redact") or []),
        )
    ]


def parse_data_request(shop: ShopRef, p: dict[str, Any]) -> list[ev.Event]:
    return [
        ev.CustomerDataRequest(
            shop_id=shop.id,
            customer=_compliance_contact(p),
            request_id=optional_id((p.get("data_request") or {}).get("id")),
            order_ids=tuple(str(o) for o in p.get("orders_requested") or []),
        )
    ]


def parse_shop_redact(shop: ShopRef, p: dict[str, Any]) -> list[ev.Event]:
    return [ev.ShopRedact(shop_id=shop.id)]


__all__ = ["COMPLIANCE_TOPICS", "HANDLERS", "ShopRef", "verify_consent"]

HANDLERS: dict[str, Callable[[ShopRef, dict[str, Any]], list[ev.Event]]] = {
    "checkouts/create": parse_checkout,
    "checkouts/update": parse_checkout,
    "checkouts/delete": parse_checkout_deleted,
    "orders/create": _order(placed=True),
    "orders/updated": _order(placed=False),
    "orders/paid": _order(placed=False),
    "orders/cancelled": parse_order_cancelled,
    "refunds/create": parse_refund,
    "fulfillments/create": parse_fulfillment,
    "fulfillments/update": parse_fulfillment,
    "customers/create": parse_customer,
    "customers/update": parse_customer,
    "customers/delete": parse_customer_deleted,
    "products/create": parse_product,
    "products/update": parse_product,
    "products/delete": parse_product_deleted,
    "app/uninstalled": parse_uninstalled,
    "customers/data_request": parse_data_request,
    "customers/redact": parse_customer_redact,
    "shop/redact": parse_shop_redact,
}
COMPLIANCE_TOPICS = frozenset({"customers/data_request", "customers/redact", "shop/redact"})
