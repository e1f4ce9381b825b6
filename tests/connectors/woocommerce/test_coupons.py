"""Our single-use codes are marked used when the shop reports an order (or coupon) using them."""

from __future__ import annotations

from tests.conftest import discount_used_at, issued_discount
from tests.support.deliveries import delivery_statuses
from tests.support.woocommerce import load as load_woo

# A coupon line as WooCommerce documents it (codes come back lower-cased).
WOO_COUPON_LINE = {
    "id": 5,
    "code": "back-k7q2zp",
    "discount": "18.90",
    "discount_tax": "0.00",
    "meta_data": [],
}


def test_woocommerce_order_with_our_coupon_marks_the_code_used(woo_shop, post_wc_webhook, run_jobs):
    discount = issued_discount(woo_shop.id)
    order = {**load_woo("order.json"), "coupon_lines": [WOO_COUPON_LINE]}
    assert post_wc_webhook("order.created", order).status_code == 200
    run_jobs("events")
    assert discount_used_at(discount) is not None


def test_woocommerce_coupon_edit_reporting_a_use_marks_the_code_used(
    woo_shop, post_wc_webhook, run_jobs
):
    discount = issued_discount(woo_shop.id)
    coupon = {**load_woo("coupon.json"), "code": "back-k7q2zp", "usage_count": 1}
    post_wc_webhook("coupon.updated", coupon)
    run_jobs("events")
    assert discount_used_at(discount) is not None


def test_unused_coupon_and_merchants_own_codes_change_nothing(woo_shop, post_wc_webhook, run_jobs):
    discount = issued_discount(woo_shop.id)
    post_wc_webhook("coupon.updated", {**load_woo("coupon.json"), "code": "back-k7q2zp"})
    order = {**load_woo("order.json"), "coupon_lines": [{**WOO_COUPON_LINE, "code": "summer"}]}
    post_wc_webhook("order.created", order)
    assert run_jobs("events") == 1  # one drain job takes every stored delivery
    assert delivery_statuses() == ["processed"] * 2
    assert discount_used_at(discount) is None


def test_a_code_is_marked_only_in_the_shop_that_issued_it(
    woo_shop, make_shop, post_wc_webhook, run_jobs
):
    ours = issued_discount(woo_shop.id)
    other = issued_discount(make_shop(n=9).id)  # the same code, issued by another shop
    order = {**load_woo("order.json"), "coupon_lines": [WOO_COUPON_LINE]}
    assert post_wc_webhook("order.created", order).status_code == 200
    assert run_jobs("events") == 1
    assert discount_used_at(ours) is not None
    assert discount_used_at(other) is None
