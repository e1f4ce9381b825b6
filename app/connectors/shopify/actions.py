"""What flows and labels ask of a Shopify shop: discount codes, tracking numbers, order checks,
and where a restore link sends the shopper.

Discounts and tracking are safe to repeat: a code that already exists is looked up rather
than created twice, and a tracking number already on a fulfillment is not pushed again.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from app.connectors.base import DiscountResult, DiscountSpec
from app.connectors.couriers.names import carrier_name
from app.connectors.shopify.graphql import AdminClient, ShopifyApiError, user_errors
from app.models import AuditLog, Cart, Order, Shipment, Shop, ShopScope, utcnow

log = logging.getLogger(__name__)

CREATE_DISCOUNT = """
mutation CreateDiscount($discount: DiscountCodeBasicInput!) {
  discountCodeBasicCreate(basicCodeDiscount: $discount) {
    codeDiscountNode { id }
    userErrors { field message code }
  }
}
"""

DISCOUNT_BY_CODE = """
query DiscountByCode($code: String!) {
  codeDiscountNodeByCode(code: $code) { id }
}
"""

ORDER_FULFILLMENT = """
query OrderFulfillment($id: ID!) {
  order(id: $id) {
    fulfillmentOrders(first: 20) { nodes { id status } }
    fulfillments(first: 20) { id trackingInfo { number } }
  }
}
"""

CREATE_FULFILLMENT = """
mutation CreateFulfillment($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id status }
    userErrors { field message }
  }
}
"""

ORDERS_SINCE = """
query OrdersSince($query: String!) {
  orders(first: 10, query: $query) { nodes { id email createdAt cancelledAt } }
}
"""

_OPEN_STATES = {"OPEN", "IN_PROGRESS"}


def discount_input(spec: DiscountSpec) -> dict[str, Any]:
    """A single-use, expiring percentage code, limited to the recipient when we know them."""
    context: dict[str, Any] = {"all": "ALL"}
    if spec.platform_customer_id:
        customer = f"gid://shopify/Customer/{spec.platform_customer_id}"
        context = {"customers": {"add": [customer]}}
    return {
        "title": f"{spec.title} {spec.code}",
        "code": spec.code,
        "startsAt": utcnow().isoformat(),
        "endsAt": spec.expires_at.isoformat(),
        "usageLimit": 1,
        "appliesOncePerCustomer": True,
        "context": context,
        "customerGets": {
            # DiscountSpec says 10 for 10 %; Shopify wants a fraction between 0 and 1.
            "value": {"percentage": float(Decimal(spec.percentage) / 100)},
            "items": {"all": True},
        },
        "combinesWith": {
            "orderDiscounts": False,
            "productDiscounts": False,
            "shippingDiscounts": True,
        },
    }


def create_discount(shop: Shop, spec: DiscountSpec) -> DiscountResult:
    client = AdminClient(shop)
    data = client.execute(
        "discountCodeBasicCreate", CREATE_DISCOUNT, {"discount": discount_input(spec)}
    )
    payload = data.get("discountCodeBasicCreate") or {}
    errors = payload.get("userErrors") or []
    if any(error.get("code") == "TAKEN" for error in errors):
        # A retried job: the code exists from the first attempt; hand back that discount.
        found = client.execute("codeDiscountNodeByCode", DISCOUNT_BY_CODE, {"code": spec.code})
        node = found.get("codeDiscountNodeByCode") or {}
        if node.get("id"):
            return DiscountResult(code=spec.code, platform_discount_id=node["id"])
    if errors or not payload.get("codeDiscountNode"):
        text = "; ".join(f"{e.get('field')}: {e.get('message')}" for e in errors) or "no discount"
        raise ShopifyApiError(shop.domain, "discountCodeBasicCreate", text)
    return DiscountResult(code=spec.code, platform_discount_id=payload["codeDiscountNode"]["id"])


def tracking_info(shop: Shop, shipment: Shipment) -> dict[str, Any]:
    return {
        "number": shipment.tracking_number,
        # Polish and Romanian couriers are unknown to Shopify: without a url there is no link.
        "url": shipment.tracking_url,
        "company": carrier_name(shop, shipment),
    }


def push_tracking(
    shop: Shop, order: Order, shipment: Shipment, *, notify_customer: bool = True
) -> None:
    """Fulfil the order's open fulfillment orders with the shipment's tracking number."""
    if not shipment.tracking_number:
        raise ValueError(f"shipment {shipment.id} has no tracking number to push")
    client = AdminClient(shop)
    gid = f"gid://shopify/Order/{order.platform_order_id}"
    data = client.execute("order fulfillment orders", ORDER_FULFILLMENT, {"id": gid})
    found = data.get("order")
    if found is None:
        raise ShopifyApiError(shop.domain, "order fulfillment orders", f"order {gid} not found")
    numbers = {
        (info or {}).get("number")
        for fulfillment in found.get("fulfillments") or []
        for info in fulfillment.get("trackingInfo") or []
    }
    if shipment.tracking_number not in numbers:
        _fulfil(shop, client, found, shipment, notify_customer)
    shipment.tracking_pushed_at = utcnow()
    ShopScope(shop.id).add(
        AuditLog(
            actor="system",
            action="tracking_pushed",
            subject=f"order:{order.platform_order_id}",
            details=tracking_info(shop, shipment),
        )
    )


def _fulfil(
    shop: Shop,
    client: AdminClient,
    order: dict[str, Any],
    shipment: Shipment,
    notify_customer: bool,
) -> None:
    open_orders = [
        node["id"]
        for node in (order.get("fulfillmentOrders") or {}).get("nodes", [])
        if node.get("status") in _OPEN_STATES
    ]
    if not open_orders:
        raise ShopifyApiError(shop.domain, "fulfillmentCreate", "no open fulfillment order")
    fulfillment = {
        "lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo} for fo in open_orders],
        "trackingInfo": tracking_info(shop, shipment),
        # Shopify's own shipping mail would be a second one when we send our localised notice.
        "notifyCustomer": notify_customer,
    }
    data = client.execute("fulfillmentCreate", CREATE_FULFILLMENT, {"fulfillment": fulfillment})
    user_errors(shop, "fulfillmentCreate", data.get("fulfillmentCreate"))


def orders_since(
    shop: Shop, *, email: str | None, cart_key: str | None, since: datetime
) -> bool | None:
    """Ask Shopify for the shopper's orders created since ``since``. GraphQL orders carry no
    checkout token to match ``cart_key`` against, so without an email we cannot tell."""
    if not email:
        return None
    stamp = since.astimezone(UTC).isoformat(timespec="seconds")
    search = f"email:{_quoted(email)} AND created_at:>={_quoted(stamp)}"
    data = AdminClient(shop).execute("orders since", ORDERS_SINCE, {"query": search})
    nodes = (data.get("orders") or {}).get("nodes") or []
    # A cancelled order is no purchase; the search is a text search, so check the address too.
    return any(
        not node.get("cancelledAt") and str(node.get("email") or "").lower() == email.lower()
        for node in nodes
    )


def _quoted(value: str) -> str:
    # Search syntax: quoted values escape backslashes and quotes with a backslash.
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def restore_target(shop: Shop, cart: Cart, code: str | None, expires_at: int) -> str | None:
    """The checkout's ``abandoned_checkout_url``, through a discount link when there is a code."""
    if not cart.restore_url:
        return None
    if not code:
        return cart.restore_url
    # Shopify's shareable discount link applies the code, then redirects within the shop.
    parts = urlsplit(cart.restore_url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return f"https://{shop.domain}/discount/{quote(code)}?{urlencode({'redirect': path})}"
