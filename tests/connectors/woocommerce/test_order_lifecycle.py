"""A cash-on-delivery order's life on a WooCommerce store, through the real webhook path on
the documented order (tests/fixtures/woocommerce/order.json) with only the named fields
changed: placed at checkout (status "processing", WooCommerce 6.6 may already stamp
``date_paid``), paid when the merchant marks it "completed" on delivery."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import sqlalchemy as sa

from app.demo.labels import DEMO_SENDER
from app.models import Cart, Order, db
from app.shipping import settings as label_settings
from app.shipping.settings import LabelSettings
from tests.support.woocommerce import load

CART_KEY = "9f2c1e7a4b5d"


def _cod_order(status: str, **changes):
    order = load("order.json")
    order["meta_data"] = [
        *order["meta_data"],
        {"id": 1, "key": "storeflow_cart_key", "value": CART_KEY},
    ]
    order.update(status=status, payment_method="cod", payment_method_title="Cash on delivery")
    order.update(changes)
    return order


def _order() -> Order:
    db.session.expire_all()
    return db.session.scalars(sa.select(Order)).one()


def test_a_placed_cod_order_is_labelled_and_converts_its_cart_but_is_paid_only_when_completed(
    woo_shop, post_wc_webhook, post_plugin_event, run_jobs, redis_conn
):
    label_settings.save(
        woo_shop.id, LabelSettings(enabled=True, trigger="paid", sender=DEMO_SENDER)
    )
    db.session.commit()
    post_plugin_event("cart.updated", load("cart_updated.json"))
    placed = _cod_order("processing", date_paid_gmt="2017-03-22T19:28:08", date_completed_gmt=None)
    assert post_wc_webhook("order.created", placed).status_code == 200
    run_jobs("events")
    order = _order()
    assert (order.is_cod, order.paid_at, order.fulfilled_at) == (True, None, None)
    # Placed is enough for the label (the courier collects the money) and for the cart.
    assert redis_conn.llen("rq:queue:labels") == 1
    assert db.session.scalars(sa.select(Cart)).one().status == "converted"

    delivered = _cod_order("completed", date_modified_gmt="2017-03-25T12:00:00")
    assert post_wc_webhook("order.updated", delivered).status_code == 200
    run_jobs("events")
    order = _order()
    assert order.paid_at == datetime(2017, 3, 22, 19, 30, 35, tzinfo=UTC)  # date_completed_gmt
    assert order.fulfilled_at == order.paid_at


def test_a_refund_and_a_cancellation_arrive_through_order_updated(post_wc_webhook, run_jobs):
    paid = {**load("order.json"), "status": "processing"}
    post_wc_webhook("order.created", paid)
    refunded = {
        **paid,
        "date_modified_gmt": "2017-03-23T10:00:00",
        "refunds": [{"id": 726, "reason": "", "total": "-10.00"}],
    }
    post_wc_webhook("order.updated", refunded)
    post_wc_webhook("order.updated", {**refunded, "status": "cancelled"})
    run_jobs("events")
    order = _order()
    assert (order.refunded, order.refunds) == (Decimal("10.00"), {"726": "10.00"})
    assert order.cancelled is True
