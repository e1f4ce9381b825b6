"""Discount codes and tracking pushed to a fake Shopify."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from app.connectors.base import DiscountSpec
from app.connectors.shopify import PLATFORM
from app.connectors.shopify.graphql import ShopifyApiError
from app.models import AuditLog, Order, Shipment, db
from app.shipping import settings as label_settings
from app.shipping.listener import push_tracking as push_tracking_job
from app.shipping.settings import LabelSettings
from tests.support.shopify import FakeShopify

SPEC = DiscountSpec(
    code="SF-7KQ2-MX9P",
    percentage=Decimal("10"),
    expires_at=datetime(2026, 11, 30, 23, 59, tzinfo=UTC),
    recipient_email="john@example.com",
    platform_customer_id="115310627314723954",
)


class DiscountShopify(FakeShopify):
    taken = False

    def other(self, operation: str, variables: dict[str, Any]) -> dict[str, Any]:
        if operation == "CreateDiscount":
            if self.taken:
                errors = [
                    {
                        "field": ["basicCodeDiscount", "code"],
                        "message": "Code must be unique.",
                        "code": "TAKEN",
                    }
                ]
                return {
                    "data": {
                        "discountCodeBasicCreate": {"codeDiscountNode": None, "userErrors": errors}
                    }
                }
            node = {"id": "gid://shopify/DiscountCodeNode/1057371271"}
            return {
                "data": {"discountCodeBasicCreate": {"codeDiscountNode": node, "userErrors": []}}
            }
        if operation == "DiscountByCode":
            return {"data": {"codeDiscountNodeByCode": {"id": "gid://shopify/DiscountCodeNode/99"}}}
        return super().other(operation, variables)


def test_discount_is_single_use_expiring_and_tied_to_the_recipient(shopify_shop, shopify_http):
    fake = DiscountShopify(shopify_http)

    result = PLATFORM.create_discount(shopify_shop, SPEC)

    assert result.code == "SF-7KQ2-MX9P"
    assert result.platform_discount_id == "gid://shopify/DiscountCodeNode/1057371271"
    sent = fake.calls[0]["variables"]["discount"]
    assert sent["code"] == "SF-7KQ2-MX9P"
    assert (sent["usageLimit"], sent["appliesOncePerCustomer"]) == (1, True)
    assert sent["endsAt"] == "2026-11-30T23:59:00+00:00"
    assert sent["customerGets"]["value"] == {"percentage": 0.1}
    assert sent["context"] == {"customers": {"add": ["gid://shopify/Customer/115310627314723954"]}}


def test_retried_discount_creation_returns_the_existing_code(shopify_shop, shopify_http):
    fake = DiscountShopify(shopify_http)
    fake.taken = True

    result = PLATFORM.create_discount(shopify_shop, SPEC)

    assert result.platform_discount_id == "gid://shopify/DiscountCodeNode/99"
    assert fake.operations() == ["CreateDiscount", "DiscountByCode"]


class FulfillmentShopify(FakeShopify):
    fulfillments: list[dict[str, Any]] = []

    def other(self, operation: str, variables: dict[str, Any]) -> dict[str, Any]:
        if operation == "OrderFulfillment":
            nodes = [
                {"id": "gid://shopify/FulfillmentOrder/1046000778", "status": "OPEN"},
                {"id": "gid://shopify/FulfillmentOrder/1046000779", "status": "CLOSED"},
            ]
            return {
                "data": {
                    "order": {
                        "fulfillmentOrders": {"nodes": nodes},
                        "fulfillments": self.fulfillments,
                    }
                }
            }
        if operation == "CreateFulfillment":
            info = variables["fulfillment"]["trackingInfo"]
            self.fulfillments = [{"id": "gid://shopify/Fulfillment/1", "trackingInfo": [info]}]
            node = {"id": "gid://shopify/Fulfillment/1", "status": "SUCCESS"}
            return {"data": {"fulfillmentCreate": {"fulfillment": node, "userErrors": []}}}
        return super().other(operation, variables)


@pytest.fixture()
def shipment(shopify_shop) -> tuple[Order, Shipment]:
    order = Order(
        shop_id=shopify_shop.id,
        platform_order_id="820982911946154508",
        placed_at=datetime(2026, 11, 20, tzinfo=UTC),
    )
    db.session.add(order)
    db.session.flush()
    parcel = Shipment(
        shop_id=shopify_shop.id,
        order_id=order.id,
        courier="inpost",
        idempotency_key="o-1-p-0",
        tracking_number="520113015349530117265483",
        tracking_url="https://inpost.pl/sledzenie-przesylek?number=520113015349530117265483",
    )
    db.session.add(parcel)
    db.session.commit()
    return order, parcel


def test_tracking_fulfils_open_fulfillment_orders_with_number_url_and_company(
    shopify_shop, shopify_http, shipment
):
    fake = FulfillmentShopify(shopify_http)
    order, parcel = shipment

    PLATFORM.push_tracking(shopify_shop, order, parcel, notify_customer=False)
    db.session.commit()

    assert fake.calls[0]["variables"] == {"id": "gid://shopify/Order/820982911946154508"}
    sent = fake.calls[1]["variables"]["fulfillment"]
    assert sent["lineItemsByFulfillmentOrder"] == [
        {"fulfillmentOrderId": "gid://shopify/FulfillmentOrder/1046000778"}
    ]
    assert sent["trackingInfo"] == {
        "number": "520113015349530117265483",
        "url": "https://inpost.pl/sledzenie-przesylek?number=520113015349530117265483",
        "company": "InPost",
    }
    assert parcel.tracking_pushed_at is not None
    assert db.session.scalars(sa.select(AuditLog.action)).all() == ["tracking_pushed"]
    assert sent["notifyCustomer"] is False


def test_our_shipping_email_on_keeps_shopifys_own_notification_off(
    shopify_shop, shopify_http, shipment
):
    # On by default: Shopify must not send its own shipping mail beside our localised one.
    fake = FulfillmentShopify(shopify_http)
    _, parcel = shipment
    db.session.commit()
    assert push_tracking_job(shopify_shop.id, parcel.id) == "pushed"
    assert fake.calls[1]["variables"]["fulfillment"]["notifyCustomer"] is False


def test_shopify_notifies_the_customer_when_our_shipping_email_is_off(
    shopify_shop, shopify_http, shipment
):
    label_settings.save(shopify_shop.id, LabelSettings(shipping_email=False))
    db.session.commit()
    fake = FulfillmentShopify(shopify_http)
    _, parcel = shipment
    assert push_tracking_job(shopify_shop.id, parcel.id) == "pushed"
    assert fake.calls[1]["variables"]["fulfillment"]["notifyCustomer"] is True


def test_tracking_pushed_twice_creates_one_fulfillment(shopify_shop, shopify_http, shipment):
    fake = FulfillmentShopify(shopify_http)
    order, parcel = shipment
    PLATFORM.push_tracking(shopify_shop, order, parcel)
    PLATFORM.push_tracking(shopify_shop, order, parcel)
    assert fake.operations().count("CreateFulfillment") == 1


def test_shipment_without_tracking_number_is_refused_before_any_call(
    shopify_shop, shopify_http, shipment
):
    fake = FulfillmentShopify(shopify_http)
    order, parcel = shipment
    parcel.tracking_number = None
    with pytest.raises(ValueError, match="no tracking number"):
        PLATFORM.push_tracking(shopify_shop, order, parcel)
    assert fake.calls == []


def test_graphql_user_errors_become_an_error_naming_the_operation(shopify_shop, shopify_http):
    class Refusing(DiscountShopify):
        def other(self, operation, variables):  # type: ignore[no-untyped-def]
            errors = [
                {
                    "field": ["basicCodeDiscount", "endsAt"],
                    "message": "Ends at needs to be after starts_at",
                    "code": "INVALID",
                }
            ]
            return {
                "data": {
                    "discountCodeBasicCreate": {"codeDiscountNode": None, "userErrors": errors}
                }
            }

    Refusing(shopify_http)
    with pytest.raises(ShopifyApiError, match=r"discountCodeBasicCreate.*Ends at needs"):
        PLATFORM.create_discount(shopify_shop, SPEC)
