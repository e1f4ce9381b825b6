"""Daily reconcile: recreate webhook subscriptions Shopify removed and the storefront web pixel
if it is gone (removed, or never made), and backfill what failed deliveries would have told us
(orders and abandoned checkouts since the newest one held).

GraphQL nodes are turned into the webhook (REST) shape and fed to the same mapping, so a
backfilled order is stored exactly as a delivered one would be, and replaying is harmless.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from rq import Retry

from app.connectors.base import ShopRef
from app.connectors.shopify import pixel as web_pixel
from app.connectors.shopify import webhooks
from app.connectors.shopify.graphql import AdminClient
from app.connectors.shopify.mapping import HANDLERS, legacy_id
from app.connectors.shopify.shops import for_each_active_shop
from app.events.apply import apply
from app.logs import fields as log_fields
from app.models import Cart, Order, Shop, ShopScope, db, utcnow
from app.models.shop_settings import ReconcileState
from app.pipeline import queues

log = logging.getLogger(__name__)
# A first reconcile (nothing stored yet) looks back this far.
DEFAULT_LOOKBACK = timedelta(days=3)
_CHECKOUT_TOKEN = re.compile(r"/checkouts/(?:ac/|cn/)?([^/?]+)/recover")

# An order line's fields, and the order's own (the history import's bulk query asks for the
# same ones, so a history order is stored as a backfilled one is).
LINE_ITEM_FIELDS = (
    "title quantity variantTitle originalUnitPriceSet { shopMoney { amount } }"
    " product { id } variant { id }"
)
_LINE_ITEMS = f"lineItems(first: 100) {{ nodes {{ {LINE_ITEM_FIELDS} }} }}"
ORDER_FIELDS = """
id name email createdAt processedAt updatedAt cancelledAt displayFinancialStatus
currencyCode paymentGatewayNames
refunds(first: 10) { id createdAt totalRefundedSet { shopMoney { amount } } }
fulfillments(first: 10) { createdAt status }
totalPriceSet { shopMoney { amount } }
shippingAddress { firstName lastName address1 address2 city zip province country phone }
"""
# Customer.email and Customer.phone are deprecated (API 2025-04) for these two objects.
_CUSTOMER = (
    "customer { id firstName lastName"
    " defaultEmailAddress { emailAddress } defaultPhoneNumber { phoneNumber } }"
)

ORDERS = f"""
query Orders($after: String, $query: String!) {{
  orders(first: 100, after: $after, query: $query, sortKey: UPDATED_AT) {{
    nodes {{
      {ORDER_FIELDS}
      {_CUSTOMER}
      {_LINE_ITEMS}
    }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
"""

CHECKOUTS = f"""
query Checkouts($after: String, $query: String!) {{
  abandonedCheckouts(first: 100, after: $after, query: $query) {{
    nodes {{
      id abandonedCheckoutUrl createdAt updatedAt completedAt
      totalPriceSet {{ shopMoney {{ amount currencyCode }} }}
      {_CUSTOMER}
      {_LINE_ITEMS}
    }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
"""


def _pages(
    client: AdminClient, operation: str, query: str, search: str
) -> Iterator[dict[str, Any]]:
    after = None
    while True:
        data = client.execute(operation, query, {"after": after, "query": search})
        connection = data[operation]
        yield from connection["nodes"]
        if not connection["pageInfo"]["hasNextPage"]:
            return
        after = connection["pageInfo"]["endCursor"]


def _customer(node: dict[str, Any] | None) -> dict[str, Any] | None:
    if not node:
        return None
    email = node.get("defaultEmailAddress") or {}
    phone = node.get("defaultPhoneNumber") or {}
    customer = {
        "id": legacy_id(node["id"]),
        "email": email.get("emailAddress"),
        "phone": phone.get("phoneNumber"),
        "first_name": node.get("firstName"),
        "last_name": node.get("lastName"),
    }
    # Consent, when the query asked for it (the history import does), as the webhook's blocks.
    for channel, address in (("email", email), ("sms", phone)):
        if address.get("marketingState"):
            customer[f"{channel}_marketing_consent"] = {
                "state": address["marketingState"],
                "opt_in_level": address.get("marketingOptInLevel"),
                "consent_updated_at": address.get("marketingUpdatedAt"),
            }
    return customer


def _line_items(node: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "product_id": legacy_id(item["product"]["id"]) if item.get("product") else None,
            "variant_id": legacy_id(item["variant"]["id"]) if item.get("variant") else None,
            "quantity": item.get("quantity"),
            "price": ((item.get("originalUnitPriceSet") or {}).get("shopMoney") or {}).get(
                "amount"
            ),
            "title": item.get("title"),
            "variant_title": item.get("variantTitle"),
        }
        for item in (node.get("lineItems") or {}).get("nodes", [])
    ]


def order_payload(node: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A GraphQL order as the webhook topic and body that would have carried it."""
    address = node.get("shippingAddress") or {}
    payload = {
        "id": legacy_id(node["id"]),
        "name": node.get("name"),
        "email": node.get("email"),
        "created_at": node["createdAt"],
        "processed_at": node.get("processedAt"),
        "updated_at": node["updatedAt"],
        "cancelled_at": node.get("cancelledAt"),
        "currency": node.get("currencyCode"),
        "total_price": node["totalPriceSet"]["shopMoney"]["amount"],
        "payment_gateway_names": node.get("paymentGatewayNames") or [],
        "financial_status": str(node.get("displayFinancialStatus") or "").lower(),
        "customer": _customer(node.get("customer")),
        "shipping_address": {_snake(k): v for k, v in address.items()},
        "line_items": _line_items(node),
        "refunds": [_refund(row) for row in node.get("refunds") or []],
        "fulfillments": [
            {"created_at": row["createdAt"], "status": str(row.get("status") or "").lower()}
            for row in node.get("fulfillments") or []
        ],
    }
    if node.get("cancelledAt"):
        return "orders/cancelled", payload
    return ("orders/paid" if payload["financial_status"] == "paid" else "orders/create"), payload


def _refund(row: dict[str, Any]) -> dict[str, Any]:
    """A GraphQL refund as the order body's ``refunds`` entry: what it gave back is the total
    of its transactions, which GraphQL sums for us (``totalRefundedSet``)."""
    amount = row["totalRefundedSet"]["shopMoney"]["amount"]
    return {
        "id": legacy_id(row["id"]),
        "created_at": row["createdAt"],
        "transactions": [{"kind": "refund", "status": "success", "amount": amount}],
    }


def checkout_payload(node: dict[str, Any]) -> dict[str, Any] | None:
    """A GraphQL abandoned checkout as a checkouts/update body; None when it has no token."""
    found = _CHECKOUT_TOKEN.search(node.get("abandonedCheckoutUrl") or "")
    if found is None:
        return None  # webhooks key carts by the checkout token, found only in the recover URL
    money = node["totalPriceSet"]["shopMoney"]
    return {
        "token": found.group(1),
        "created_at": node["createdAt"],
        "updated_at": node["updatedAt"],
        "completed_at": node.get("completedAt"),
        "abandoned_checkout_url": node["abandonedCheckoutUrl"],
        "total_price": money["amount"],
        "currency": money.get("currencyCode"),
        "customer": _customer(node.get("customer")),
        "line_items": _line_items(node),
    }


def _snake(name: str) -> str:
    return re.sub(r"([A-Z])", r"_\1", name).lower()


def _since(shop: Shop, column: Any, model: type[Any]) -> datetime:
    newest = db.session.scalar(
        ShopScope(shop.id).select(model).with_only_columns(sa.func.max(column))
    )
    fallback = utcnow() - DEFAULT_LOOKBACK
    if isinstance(newest, datetime):
        return newest if newest.tzinfo else newest.replace(tzinfo=fallback.tzinfo)
    return fallback


def _search(since: datetime) -> str:
    return f"updated_at:>='{since.isoformat(timespec='seconds')}'"


def backfill(shop: Shop, client: AdminClient) -> dict[str, int]:
    ref = ShopRef.of(shop)
    counts = {"orders": 0, "checkouts": 0}
    since = _since(shop, Order.platform_updated_at, Order)
    for node in _pages(client, "orders", ORDERS, _search(since)):
        topic, payload = order_payload(node)
        for event in HANDLERS[topic](ref, payload):
            apply(event)
        counts["orders"] += 1
    since = _since(shop, Cart.platform_updated_at, Cart)
    for node in _pages(client, "abandonedCheckouts", CHECKOUTS, _search(since)):
        body = checkout_payload(node)
        if body is None:
            log.warning("abandoned checkout without token", extra=log_fields(shop=shop.id))
            continue
        for event in HANDLERS["checkouts/update"](ref, body):
            apply(event)
        counts["checkouts"] += 1
    return counts


@queues.job("sync", timeout=900, retry=Retry(max=3, interval=[300, 900, 3600]))
def reconcile_shop(shop_id: int) -> dict[str, Any]:
    """Recreate missing subscriptions and the web pixel, then backfill. Safe to run twice
    (upserts by time; the pixel is made only when the shop has none, updated only when its
    settings differ)."""
    shop = db.session.get(Shop, shop_id)
    if shop is None or shop.status != "active" or not shop.credentials.get("access_token"):
        return {"skipped": True}
    client = AdminClient(shop)
    recreated = webhooks.ensure_webhooks(shop, client)
    pixel = web_pixel.switch_on(shop, client)
    counts = backfill(shop, client)
    report = {
        "at": utcnow().isoformat(),
        "subscriptions_recreated": recreated,
        "pixel": pixel,
        **counts,
    }
    shop.reconcile_state = ReconcileState.from_json({"reconcile": report})
    db.session.commit()
    log.info("shopify reconcile", extra=log_fields({"shop": shop_id, **counts}))
    return report


@queues.job("sync", timeout=300, retry=Retry(max=2, interval=[300, 1800]))
def daily_reconcile() -> int:
    """Enqueue a reconcile for every active Shopify shop, one job per shop."""
    return for_each_active_shop(reconcile_shop, "shopify-reconcile")
