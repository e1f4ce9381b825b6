"""An order's life on Shopify through the real ingest path, on the documented payloads
(tests/fixtures/shopify: orders_create.json for every orders/* topic, refunds_create.json,
fulfillments_create.json for fulfillments/create and fulfillments/update, copied field for
field from shopify.dev's webhook reference): cancelled is not paid, edits never go back in
time, refunds lower a flow's revenue, fulfilment is stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from app.flows import abandoned_cart
from app.flows.engine.settings import save_settings
from app.insights.attribution import flow_results
from app.models import Cart, FlowRun, Message, Order, ShopScope, db
from tests.support.deliveries import delivery_statuses
from tests.support.shopify import load

PLACED = datetime(2022, 1, 1, 0, 0, tzinfo=UTC)  # the sample's 2021-12-31T19:00:00-05:00


def _order() -> Order:
    db.session.expire_all()
    return db.session.scalars(sa.select(Order)).one()


def _paid_sample(**changes):
    return load("orders_create", **{"cancelled_at": None, "financial_status": "paid", **changes})


def test_the_documented_sample_is_stored_cancelled_not_paid(
    shopify_shop, post_shopify_webhook, run_jobs
):
    post_shopify_webhook("orders/create", load("orders_create"), webhook_id="w-create")
    post_shopify_webhook("orders/paid", load("orders_create"), webhook_id="w-paid")
    assert run_jobs("events") == 1  # one drain job takes every stored delivery
    assert delivery_statuses() == ["processed"] * 2
    order = _order()
    assert (order.cancelled, order.paid_at) == (True, None)


def test_an_older_orders_updated_does_not_go_back_in_time(
    shopify_shop, post_shopify_webhook, run_jobs
):
    newer = _paid_sample(
        updated_at="2022-01-02T10:00:00-05:00",
        total_price="300.00",
        line_items=load("orders_create")["line_items"][:1],
    )
    older = load("orders_create", cancelled_at=None, financial_status="pending")
    post_shopify_webhook("orders/updated", newer, webhook_id="w-newer")
    run_jobs("events")
    post_shopify_webhook("orders/updated", older, webhook_id="w-older")
    run_jobs("events")
    order = _order()
    assert (str(order.total), len(order.items)) == ("300.00", 1)
    assert order.paid_at == datetime(2022, 1, 2, 15, 0, tzinfo=UTC)
    assert order.platform_updated_at == datetime(2022, 1, 2, 15, 0, tzinfo=UTC)
    assert order.placed_at == PLACED


def test_an_edit_arriving_as_orders_updated_changes_the_stored_total(
    shopify_shop, post_shopify_webhook, run_jobs
):
    post_shopify_webhook("orders/paid", _paid_sample(), webhook_id="w-paid")
    edited = _paid_sample(updated_at="2022-01-01T09:00:00-05:00", total_price="380.00")
    post_shopify_webhook("orders/updated", edited, webhook_id="w-edit")
    run_jobs("events")
    assert str(_order().total) == "380.00"


def _converted_run(shop_id: int) -> FlowRun:
    """A reminder the shopper got an hour before ordering: the order will be credited to it."""
    scope = ShopScope(shop_id)
    run = scope.add(
        FlowRun(
            flow_key="abandoned_cart",
            subject_key="cart:123123123",
            state="completed",
            started_at=PLACED - timedelta(hours=3),
            ended_at=PLACED - timedelta(hours=1),
            context={"email": "jon@example.com", "cart_key": "123123123"},
        )
    )
    db.session.flush()
    scope.add(
        Message(
            run_id=run.id,
            step=0,
            channel="email",
            recipient="jon@example.com",
            status="sent",
            idempotency_key="<reminder@test>",
            sent_at=PLACED - timedelta(hours=1),
        )
    )
    db.session.commit()
    return run


def test_refunds_create_lowers_the_flows_revenue_once(shopify_shop, post_shopify_webhook, run_jobs):
    run = _converted_run(shopify_shop.id)
    post_shopify_webhook("orders/paid", _paid_sample(), webhook_id="w-paid")
    run_jobs("events")
    db.session.refresh(run)
    assert run.state == "converted"
    assert flow_results(shopify_shop.id, "abandoned_cart")["messaged"]["revenue"] == Decimal(
        "404.95"
    )
    refund = load("refunds_create")
    post_shopify_webhook("refunds/create", refund, webhook_id="w-refund")
    run_jobs("events")
    # The same refund again, inside the order Shopify updates after it.
    updated = _paid_sample(
        financial_status="partially_refunded",
        updated_at="2022-01-01T10:00:00-05:00",
        refunds=[refund],
    )
    post_shopify_webhook("orders/updated", updated, webhook_id="w-updated")
    run_jobs("events")
    order = _order()
    assert (order.refunded, list(order.refunds)) == (Decimal("85.00"), ["890088186047892319"])
    assert flow_results(shopify_shop.id, "abandoned_cart")["messaged"]["revenue"] == Decimal(
        "319.95"
    )


def test_a_refund_before_its_order_is_kept_and_counted_once_the_order_arrives(
    shopify_shop, post_shopify_webhook, run_jobs
):
    post_shopify_webhook("refunds/create", load("refunds_create"), webhook_id="w-refund")
    run_jobs("events")
    post_shopify_webhook("orders/paid", _paid_sample(), webhook_id="w-paid")
    run_jobs("events")
    order = _order()
    assert (str(order.total), order.refunded, order.placed_at) == (
        "404.95",
        Decimal("85.00"),
        PLACED,
    )


def test_orders_cancelled_after_payment_leaves_no_revenue(
    shopify_shop, post_shopify_webhook, run_jobs
):
    _converted_run(shopify_shop.id)
    post_shopify_webhook("orders/paid", _paid_sample(), webhook_id="w-paid")
    cancelled = load("orders_create", updated_at="2022-01-01T12:00:00-05:00")
    post_shopify_webhook("orders/cancelled", cancelled, webhook_id="w-cancel")
    run_jobs("events")
    assert _order().cancelled is True
    assert flow_results(shopify_shop.id, "abandoned_cart")["messaged"]["revenue"] == 0


def test_a_fulfilment_records_when_the_order_was_sent(shopify_shop, post_shopify_webhook, run_jobs):
    post_shopify_webhook("orders/paid", _paid_sample(), webhook_id="w-paid")
    post_shopify_webhook(
        "fulfillments/create", load("fulfillments_create"), webhook_id="w-fulfilment"
    )
    delivered = load(
        "fulfillments_create",
        status="success",
        shipment_status="delivered",
        updated_at="2022-01-03T19:00:00-05:00",
    )
    post_shopify_webhook("fulfillments/update", delivered, webhook_id="w-delivered")
    assert run_jobs("events") == 1  # one drain job takes every stored delivery
    assert delivery_statuses() == ["processed"] * 3
    assert _order().fulfilled_at == PLACED  # the fulfilment's created_at, kept on update


def test_an_order_arriving_before_its_checkout_leaves_the_cart_bought_and_unreminded(
    shopify_shop, post_shopify_webhook, run_jobs
):
    shopify_shop.settings = {"address": "1 Main St, Springfield", "sender_email": "a@shop.example"}
    save_settings(shopify_shop.id, abandoned_cart.FLOW, {}, enabled=True)
    db.session.commit()
    order = _paid_sample(checkout_token="123123123")
    post_shopify_webhook("orders/paid", order, webhook_id="w-order")
    run_jobs("events")
    checkout = load("checkouts_create", buyer_accepts_marketing=True)
    post_shopify_webhook("checkouts/create", checkout, webhook_id="w-checkout")
    run_jobs("events")
    db.session.expire_all()
    cart = db.session.scalars(sa.select(Cart)).one()
    assert (cart.cart_key, cart.status) == ("123123123", "converted")
    # Without the order seen first, this consenting shopper's cart would be enrolled.
    assert db.session.scalars(sa.select(FlowRun)).all() == []
