"""Discount coupons and tracking pushed to a WooCommerce store."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from app.connectors.base import DiscountSpec
from app.connectors.woocommerce import PLATFORM
from app.connectors.woocommerce.actions import (
    CouponCollisionError,
    CouponExpiryError,
    coupon_body,
)
from app.connectors.woocommerce.client import StoreApiError
from app.models import Order, Shipment, ShopScope, db

SPEC = DiscountSpec(
    code="SF-AB12CD",
    percentage=Decimal("10"),
    expires_at=datetime(2026, 12, 1, 23, 59, 59, tzinfo=UTC),
    recipient_email="ana@example.pl",
)


def test_discount_is_a_single_use_coupon_for_the_recipient_that_expires(woo_shop, fake_store):
    result = PLATFORM.create_discount(woo_shop, SPEC)
    (coupon,) = fake_store.coupons
    assert result.code == "sf-ab12cd"
    assert result.platform_discount_id == str(coupon["id"])
    assert (coupon["discount_type"], coupon["amount"]) == ("percent", "10.00")
    assert (coupon["usage_limit"], coupon["usage_limit_per_user"]) == (1, 1)
    assert coupon["email_restrictions"] == ["ana@example.pl"]
    assert coupon["date_expires_gmt"] == "2026-12-01T23:59:59"


def test_discount_expiry_is_sent_in_the_field_woocommerce_keeps(woo_shop, fake_store):
    body = coupon_body(SPEC)
    # WooCommerce 6.6 has no setter for date_expires_gmt and drops it without a word.
    assert "date_expires_gmt" not in body
    assert body["date_expires"] == "2026-12-01T23:59:59+00:00"


def test_a_coupon_whose_expiry_did_not_stick_is_refused_not_mailed(woo_shop, fake_store):
    fake_store.ignores_expiry = True
    with pytest.raises(CouponExpiryError, match="without expiry 2026-12-01T23:59:59"):
        PLATFORM.create_discount(woo_shop, SPEC)
    (coupon,) = fake_store.coupons  # made, repaired once, still without a date: refused
    assert coupon["date_expires_gmt"] is None


def test_a_coupon_that_lost_its_expiry_is_repaired_once(woo_shop, fake_store):
    fake_store.ignores_expiry = True
    with pytest.raises(CouponExpiryError):
        PLATFORM.create_discount(woo_shop, SPEC)
    fake_store.ignores_expiry = False
    result = PLATFORM.create_discount(woo_shop, SPEC)  # the job's retry finds and repairs it
    (coupon,) = fake_store.coupons
    assert result.code == coupon["code"] and coupon["date_expires_gmt"] == "2026-12-01T23:59:59"


def test_retried_discount_reuses_the_coupon_already_made(woo_shop, fake_store):
    first = PLATFORM.create_discount(woo_shop, SPEC)
    second = PLATFORM.create_discount(woo_shop, SPEC)
    assert first == second
    assert len(fake_store.coupons) == 1


def test_a_code_the_store_holds_for_someone_else_is_refused_not_mailed(woo_shop, fake_store):
    # E.g. a database restored from a backup against a store that kept its later coupons.
    PLATFORM.create_discount(woo_shop, SPEC)
    other = DiscountSpec(**{**SPEC.__dict__, "recipient_email": "ewa@example.pl"})
    with pytest.raises(CouponCollisionError, match="for someone else"):
        PLATFORM.create_discount(woo_shop, other)
    assert [c["email_restrictions"] for c in fake_store.coupons] == [["ana@example.pl"]]


def test_a_code_already_used_in_the_store_is_not_handed_out_again(woo_shop, fake_store):
    PLATFORM.create_discount(woo_shop, SPEC)
    fake_store.coupons[0]["usage_count"] = 1
    with pytest.raises(CouponCollisionError):
        PLATFORM.create_discount(woo_shop, SPEC)


@pytest.fixture()
def shipment(woo_shop) -> tuple[Order, Shipment]:
    scope = ShopScope(woo_shop.id)
    order = scope.add(Order(platform_order_id="727", placed_at=datetime(2026, 11, 20, tzinfo=UTC)))
    db.session.flush()
    parcel = scope.add(
        Shipment(
            order_id=order.id,
            courier="inpost",
            idempotency_key="727-0",
            tracking_number="520000012345678901234567",
            tracking_url="https://inpost.pl/sledzenie-przesylek?number=520000012345678901234567",
        )
    )
    db.session.commit()
    return order, parcel


def test_tracking_goes_to_shipment_tracking_as_a_custom_provider_with_its_link(
    woo_shop, fake_store, shipment
):
    fake_store.tracking_namespace = "wc-shipment-tracking/v3"
    PLATFORM.push_tracking(woo_shop, *shipment)
    ((used, order_id, body),) = fake_store.trackings
    assert (used, order_id) == ("wc-shipment-tracking/v3", "727")
    assert body["tracking_number"] == "520000012345678901234567"
    assert body["custom_tracking_provider"] == "InPost"
    assert body["custom_tracking_link"].startswith("https://inpost.pl/")
    assert body["date_shipped"] == shipment[1].created_at.strftime("%Y-%m-%d")
    assert fake_store.notes == []


def test_tracking_goes_to_advanced_shipment_tracking_when_that_is_installed(
    woo_shop, fake_store, shipment
):
    fake_store.tracking_namespace = "wc-ast/v3"
    PLATFORM.push_tracking(woo_shop, *shipment)
    ((used, _, body),) = fake_store.trackings
    assert used == "wc-ast/v3"
    assert (body["tracking_provider"], body["tracking_number"]) == (
        "inpost",
        "520000012345678901234567",
    )
    assert body["status_shipped"] == 1
    assert fake_store.notes == []


def test_without_a_tracking_plugin_the_customer_gets_an_order_note_and_meta(
    woo_shop, fake_store, shipment
):
    PLATFORM.push_tracking(woo_shop, *shipment)
    ((order_id, note),) = fake_store.notes
    assert order_id == "727" and note["customer_note"] is True
    assert "520000012345678901234567" in note["note"] and "https://inpost.pl/" in note["note"]
    ((_, update),) = fake_store.order_updates
    (meta,) = update["meta_data"]
    assert meta["key"] == "_storeflow_tracking"
    assert meta["value"]["tracking_number"] == "520000012345678901234567"


def test_a_failing_tracking_plugin_raises_instead_of_falling_back_to_a_note(
    woo_shop, fake_store, shipment
):
    fake_store.tracking_namespace = "wc-shipment-tracking/v3"
    fake_store.tracking_failure = True
    with pytest.raises(StoreApiError) as caught:
        PLATFORM.push_tracking(woo_shop, *shipment)
    assert caught.value.status == 500
    assert fake_store.notes == []
