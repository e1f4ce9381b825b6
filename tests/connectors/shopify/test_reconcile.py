"""Daily reconcile: deleted subscriptions recreated, missed orders and checkouts backfilled."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from app.connectors.shopify.reconcile import daily_reconcile, reconcile_shop
from app.connectors.shopify.webhooks import API_TOPICS, graphql_topic
from app.models import Cart, Customer, Order, Shop, db
from tests.support.shopify import FakeShopify, load

# The Customer as API 2025-04 and later answer it: email and phone in their own objects
# (CustomerEmailAddress.emailAddress, CustomerPhoneNumber.phoneNumber, shopify.dev).
CUSTOMER = {
    "id": "gid://shopify/Customer/115310627314723954",
    "firstName": "John",
    "lastName": "Smith",
    "defaultEmailAddress": {"emailAddress": "john@example.com"},
    "defaultPhoneNumber": {"phoneNumber": "+16135550135"},
}
LINE_ITEMS = {
    "nodes": [
        {
            "title": "Aviator sunglasses",
            "quantity": 1,
            "variantTitle": None,
            "originalUnitPriceSet": {"shopMoney": {"amount": "89.99"}},
            "product": {"id": "gid://shopify/Product/788032119674292922"},
            "variant": None,
        }
    ]
}
ORDER = {
    "id": "gid://shopify/Order/820982911946154508",
    "name": "#9999",
    "email": "jon@example.com",
    "createdAt": "2026-11-20T09:00:00Z",
    "updatedAt": "2026-11-20T09:05:00Z",
    "cancelledAt": None,
    "displayFinancialStatus": "PAID",
    "currencyCode": "USD",
    "paymentGatewayNames": ["bogus"],
    "totalPriceSet": {"shopMoney": {"amount": "89.99"}},
    "shippingAddress": {
        "firstName": "Steve",
        "lastName": "Shipper",
        "address1": "123 Shipping Street",
        "address2": None,
        "city": "Shippington",
        "zip": "40003",
        "province": "Kentucky",
        "country": "United States",
        "phone": None,
    },
    "customer": CUSTOMER,
    "lineItems": LINE_ITEMS,
    "processedAt": "2026-11-20T09:00:00Z",
    "refunds": [],
    "fulfillments": [],
}
CHECKOUT = {
    "id": "gid://shopify/AbandonedCheckout/981820079255243537",
    "abandonedCheckoutUrl": "https://storeflow-test.myshopify.com/548380009/checkouts/ac/123123123/recover?key=example-secret-token",
    "createdAt": "2026-11-20T08:00:00Z",
    "updatedAt": "2026-11-20T08:30:00Z",
    "completedAt": None,
    "totalPriceSet": {"shopMoney": {"amount": "89.99", "currencyCode": "USD"}},
    "customer": CUSTOMER,
    "lineItems": LINE_ITEMS,
}
PAGE_END = {"hasNextPage": False, "endCursor": None}


class BackfillShopify(FakeShopify):
    def other(self, operation: str, variables: dict[str, Any]) -> dict[str, Any]:
        if operation == "Orders":
            return {"data": {"orders": {"nodes": [ORDER], "pageInfo": PAGE_END}}}
        if operation == "Checkouts":
            return {"data": {"abandonedCheckouts": {"nodes": [CHECKOUT], "pageInfo": PAGE_END}}}
        return super().other(operation, variables)


def test_reconcile_recreates_deleted_subscriptions_and_backfills_missed_data(
    app, shopify_shop, shopify_http
):
    fake = BackfillShopify(shopify_http)
    uri = "http://storeflow.test/webhooks/shopify"
    kept = [graphql_topic(t) for t in API_TOPICS[:3]]
    fake.subscriptions = [
        {"id": f"gid://shopify/WebhookSubscription/{n}", "topic": t, "uri": uri}
        for n, t in enumerate(kept)
    ]

    report = reconcile_shop(shopify_shop.id)

    assert sorted(report["subscriptions_recreated"]) == sorted(API_TOPICS[3:])
    assert len(fake.subscriptions) == len(API_TOPICS)
    order = db.session.scalars(sa.select(Order)).one()
    assert (order.platform_order_id, order.paid, str(order.total)) == (
        "820982911946154508",
        True,
        "89.99",
    )
    assert order.shipping_address["address1"] == "123 Shipping Street"
    cart = db.session.scalars(sa.select(Cart)).one()
    assert (cart.cart_key, cart.email) == ("123123123", "john@example.com")
    assert db.session.get(Shop, shopify_shop.id).settings["reconcile"]["orders"] == 1


def test_backfill_reads_customer_email_and_phone_from_their_current_fields(
    shopify_shop, shopify_http
):
    fake = BackfillShopify(shopify_http)
    reconcile_shop(shopify_shop.id)

    for call in (c for c in fake.calls if c["operation"] in ("Orders", "Checkouts")):
        customer = call["query"].split("customer {", 1)[1].split("}", 1)[0]
        assert "defaultEmailAddress { emailAddress" in customer
        assert " email " not in f" {customer} " and " phone " not in f" {customer} "
    # The checkout has only the customer's email (the order its own, "jon@"), so the cart's
    # address comes from defaultEmailAddress; the phone from defaultPhoneNumber.
    assert db.session.scalars(sa.select(Cart)).one().email == "john@example.com"
    assert db.session.scalars(sa.select(Customer)).one().phone == "+16135550135"


def test_backfill_asks_only_for_changes_since_the_newest_stored_order(shopify_shop, shopify_http):
    fake = BackfillShopify(shopify_http)
    reconcile_shop(shopify_shop.id)
    fake.calls.clear()

    reconcile_shop(shopify_shop.id)

    (orders_call,) = [c for c in fake.calls if c["operation"] == "Orders"]
    assert orders_call["variables"]["query"] == "updated_at:>='2026-11-20T09:05:00+00:00'"
    assert db.session.scalar(sa.select(sa.func.count(Order.id))) == 1


def test_daily_reconcile_enqueues_one_job_per_active_shopify_shop(
    make_shop, shopify_shop, redis_conn
):
    make_shop(platform="shopify", domain="gone.myshopify.com", status="uninstalled", n=2)
    make_shop(n=3)  # a demo-platform shop
    from rq import Queue

    assert daily_reconcile() == 1
    assert Queue("sync", connection=redis_conn).job_ids == [f"shopify-reconcile-{shopify_shop.id}"]


REFUNDED_ORDER = {
    **ORDER,
    "displayFinancialStatus": "PARTIALLY_REFUNDED",
    "refunds": [
        {
            "id": "gid://shopify/Refund/890088186047892319",
            "createdAt": "2026-11-21T10:00:00Z",
            "totalRefundedSet": {"shopMoney": {"amount": "20.00"}},
        }
    ],
    "fulfillments": [
        {"createdAt": "2026-11-20T15:00:00Z", "status": "SUCCESS"},
        {"createdAt": "2026-11-20T12:00:00Z", "status": "CANCELLED"},
    ],
}


class RefundedOrderShopify(BackfillShopify):
    def other(self, operation: str, variables: dict[str, Any]) -> dict[str, Any]:
        if operation == "Orders":
            return {"data": {"orders": {"nodes": [REFUNDED_ORDER], "pageInfo": PAGE_END}}}
        return super().other(operation, variables)


def test_backfill_brings_the_refunds_and_fulfilments_whose_webhooks_were_missed(
    shopify_shop, shopify_http
):
    RefundedOrderShopify(shopify_http)
    reconcile_shop(shopify_shop.id)
    order = db.session.scalars(sa.select(Order)).one()
    assert (order.paid, order.refunded, list(order.refunds)) == (
        True,
        Decimal("20.00"),
        ["890088186047892319"],
    )
    # The cancelled fulfilment sent nothing; the successful one is when the order went out.
    assert order.fulfilled_at == datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def test_reconcile_recreates_a_web_pixel_the_shop_no_longer_has(app, shopify_shop, shopify_http):
    fake = BackfillShopify(shopify_http)
    assert fake.web_pixel is None  # removed by the merchant, or never made at install

    report = reconcile_shop(shopify_shop.id)

    assert report["pixel"] == "created"
    assert fake.web_pixel is not None and fake.web_pixel["id"] == "gid://shopify/WebPixel/1"
    shop = db.session.get(Shop, shopify_shop.id)
    assert json.loads(fake.web_pixel["settings"]) == {
        "endpoint": "http://storeflow.test/collect/shopify",
        "shop": shop.domain,
        "collectKey": shop.storefront_tracking.collect_key,
    }
    assert shop.settings["reconcile"]["pixel"] == "created"


def test_reconcile_leaves_a_web_pixel_that_is_there_and_up_to_date(app, shopify_shop, shopify_http):
    fake = BackfillShopify(shopify_http)
    assert reconcile_shop(shopify_shop.id)["pixel"] == "created"
    fake.calls.clear()

    report = reconcile_shop(shopify_shop.id)

    assert report["pixel"] == "unchanged"
    pixel_calls = [op for op in fake.operations() if op.startswith("WebPixel")]
    assert pixel_calls == ["WebPixelCreate", "WebPixel"]  # answered TAKEN, read, no update


def test_a_pixel_shopify_refuses_does_not_stop_the_reconcile(app, shopify_shop, shopify_http):
    class RefusingShopify(BackfillShopify):
        def _web_pixel(self, operation: str, variables: dict[str, Any]) -> dict[str, Any]:
            # webPixelCreate's documented payload with a user error (ErrorsWebPixelUserError)
            answer = load("web_pixel_create_taken")
            error = {"code": "NO_EXTENSION", "field": ["webPixel"], "message": "No extension."}
            answer["data"]["webPixelCreate"]["userErrors"] = [error]
            return answer

    fake = RefusingShopify(shopify_http)

    report = reconcile_shop(shopify_shop.id)

    assert report["pixel"] == "failed" and fake.web_pixel is None
    assert report["orders"] == 1 and report["checkouts"] == 1  # the backfill went on
