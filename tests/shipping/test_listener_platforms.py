"""Courier labels on real platforms: an order paid in a Shopify shop or a WooCommerce store
gets its own-labels shipment, and the tracking number and link travel back to the platform
(Shopify fulfillment, WooCommerce Shipment Tracking or, without it, a customer order note)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from app.models import Order, Shipment, Shop, ShopScope, db
from app.shipping import settings as label_settings
from tests.connectors.shopify.test_actions import FulfillmentShopify
from tests.shipping.test_listener import SENDER
from tests.support.shopify import load as shopify_sample
from tests.support.shopify import post_shopify_webhook, shopify_http, shopify_shop
from tests.support.woocommerce import (
    fake_store,
    post_wc_webhook,
    public_test_hosts,
    woo_shop,
)
from tests.support.woocommerce import load as woo_sample

__all__ = [
    "fake_store",
    "post_shopify_webhook",
    "post_wc_webhook",
    "public_test_hosts",
    "shopify_http",
    "shopify_shop",
    "woo_shop",
]


def own_labels_on_payment(shop: Shop) -> None:
    options = label_settings.LabelSettings(enabled=True, courier="own", sender=SENDER)
    label_settings.save(shop.id, options)
    db.session.commit()


def the_shipment(shop: Shop) -> Shipment:
    db.session.expire_all()
    (shipment,) = ShopScope(shop.id).all(Shipment)
    assert shipment.status == "created", shipment.error
    assert shipment.tracking_number and shipment.tracking_url
    assert shipment.tracking_url.endswith(f"/track/{shop.id}/{shipment.tracking_number}")
    assert shipment.tracking_pushed_at is not None
    return shipment


def test_order_paid_in_shopify_is_fulfilled_there_with_our_tracking_number_and_link(
    shopify_shop, shopify_http, post_shopify_webhook, run_jobs
):
    own_labels_on_payment(shopify_shop)
    shopify = FulfillmentShopify(shopify_http)
    # The documented sample is a voided, cancelled order: here it is simply paid.
    paid = shopify_sample(
        "orders_create", financial_status="paid", cancelled_at=None, cancel_reason=None
    )

    assert post_shopify_webhook("orders/paid", paid).status_code == 200
    run_jobs()

    shipment = the_shipment(shopify_shop)
    order = ShopScope(shopify_shop.id).get(Order, shipment.order_id)
    assert order is not None and order.platform_order_id == "820982911946154508"
    assert shopify.operations() == ["OrderFulfillment", "CreateFulfillment"]
    assert shopify.calls[0]["variables"] == {"id": "gid://shopify/Order/820982911946154508"}
    sent = shopify.calls[1]["variables"]["fulfillment"]
    assert sent["trackingInfo"]["number"] == shipment.tracking_number
    assert sent["trackingInfo"]["url"] == shipment.tracking_url
    # Our own labels: the shop ships the parcel, so customers see its name, not "Own".
    assert sent["trackingInfo"]["company"] == shopify_shop.name
    assert sent["lineItemsByFulfillmentOrder"] == [
        {"fulfillmentOrderId": "gid://shopify/FulfillmentOrder/1046000778"}
    ]


def woo_paid_order() -> dict[str, Any]:
    order = copy.deepcopy(woo_sample("order.json"))
    order["status"] = "processing"
    return order


def pay_in_woocommerce(
    woo_shop: Shop, post_wc_webhook: Callable[..., Any], run_jobs: Callable[..., int]
) -> Shipment:
    own_labels_on_payment(woo_shop)
    assert post_wc_webhook("order.updated", woo_paid_order()).status_code == 200
    run_jobs()
    return the_shipment(woo_shop)


def test_order_paid_in_woocommerce_gets_shipment_tracking_with_our_number_and_link(
    woo_shop, fake_store, post_wc_webhook, run_jobs
):
    fake_store.tracking_namespace = "wc-shipment-tracking/v3"

    shipment = pay_in_woocommerce(woo_shop, post_wc_webhook, run_jobs)

    ((namespace, order_id, body),) = fake_store.trackings
    assert (namespace, order_id) == ("wc-shipment-tracking/v3", "727")
    assert body["tracking_number"] == shipment.tracking_number
    assert body["custom_tracking_link"] == shipment.tracking_url
    assert body["custom_tracking_provider"] == woo_shop.name  # not our courier key "own"
    assert fake_store.notes == []


def test_woocommerce_store_without_a_tracking_plugin_gets_a_customer_note_with_number_and_link(
    woo_shop, fake_store, post_wc_webhook, run_jobs
):
    fake_store.tracking_namespace = None  # neither tracking plugin answers: 404 rest_no_route

    shipment = pay_in_woocommerce(woo_shop, post_wc_webhook, run_jobs)

    assert fake_store.trackings == []
    ((order_id, note),) = fake_store.notes
    assert order_id == "727" and note["customer_note"] is True
    assert shipment.tracking_number in note["note"] and shipment.tracking_url in note["note"]
    assert f"on its way with {woo_shop.name}:" in note["note"]
