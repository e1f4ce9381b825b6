"""Our single-use codes are marked used when the shop reports an order (or coupon) using them."""

from __future__ import annotations

from tests.conftest import discount_used_at, issued_discount
from tests.support.shopify import load as load_shopify

# A discount code on an order, as Shopify documents it.
SHOPIFY_DISCOUNT_CODE = {"code": "BACK-K7Q2ZP", "amount": "18.90", "type": "percentage"}


def test_shopify_order_with_our_code_marks_it_used(shopify_shop, post_shopify_webhook, run_jobs):
    discount = issued_discount(shopify_shop.id)
    order = {**load_shopify("orders_create"), "discount_codes": [SHOPIFY_DISCOUNT_CODE]}
    assert post_shopify_webhook("orders/create", order).status_code == 200
    run_jobs("events")
    assert discount_used_at(discount) is not None
