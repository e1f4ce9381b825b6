"""A delivery's event that only repeats the one before it is left out (``without_repeats``):
a paid order's orders/create is one order event holding the payment, because applying its
"paid" twin after the "created" would change nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from app import connectors
from app.connectors.base import ShopRef
from app.events import types as ev
from app.events.apply import apply, without_repeats
from app.flows import cross_sell
from app.flows.engine.settings import save_settings
from app.models import Cart, Customer, FlowRun, Message, Order, OrderLine, ShopScope, db
from app.models.batch import batch_memo
from tests.events.test_apply import T0, cart_event, order_event
from tests.support.shopify import load


def _orders_create(financial_status: str) -> list[ev.Event]:
    body = {**load("orders_create"), "financial_status": financial_status, "cancelled_at": None}
    platform = connectors.get("shopify")
    assert platform is not None
    shop = ShopRef(id=1, domain="s.myshopify.com", currency="USD")
    return platform.normalize(shop, "orders/create", body, {})


def test_a_paid_orders_create_is_one_order_event_that_holds_the_payment(app):
    events = _orders_create("paid")
    assert [type(e) for e in events] == [ev.OrderCreated, ev.OrderPaid]

    kept = without_repeats(events)

    assert kept == events[:1]
    assert isinstance(kept[0], ev.OrderCreated) and kept[0].paid_at is not None
    # An unpaid order was one event already.
    assert [type(e) for e in without_repeats(_orders_create("pending"))] == [ev.OrderCreated]


def test_an_order_paid_that_says_more_than_the_created_before_it_is_kept():
    created = order_event(ev.OrderCreated, 1, T0, paid_at=None)
    paid = order_event(ev.OrderPaid, 1, T0)
    later = order_event(ev.OrderCreated, 1, T0 + timedelta(minutes=1), paid_at=T0)

    assert without_repeats([created, paid]) == [created, paid]
    assert without_repeats([later, order_event(ev.OrderPaid, 1, T0)]) == [
        later,
        order_event(ev.OrderPaid, 1, T0),
    ]


_SKIPPED = {"created_at", "updated_at"}


def _state(shop_id: int) -> dict[str, list[tuple[Any, ...]]]:
    """Every row the order and its reactions touch, as stored (bookkeeping times left out)."""
    state = {}
    for model in (Customer, Cart, Order, OrderLine, FlowRun, Message):
        columns = [c for c in model.__table__.columns if c.key not in _SKIPPED]
        rows = db.session.execute(
            sa.select(*columns).where(columns[0].table.c.shop_id == shop_id).order_by(columns[0])
        )
        state[model.__tablename__] = [tuple(row) for row in rows]
    return state


def test_the_paid_twin_of_a_paid_created_order_would_change_nothing(flow_shop, sim_clock):
    shop_id = flow_shop.id
    save_settings(shop_id, cross_sell.FLOW, {}, enabled=True)
    db.session.commit()
    scope = ShopScope(shop_id)
    with batch_memo(db.session()):
        apply(cart_event(shop_id, T0 - timedelta(hours=3), quantity=1))
        customer = scope.first(Customer, Customer.email == "ana@example.com")
        assert customer is not None
        earlier = scope.add(
            FlowRun(
                flow_key="abandoned_cart",
                subject_key="cart:old",
                customer_id=customer.id,
                state="completed",
                started_at=T0 - timedelta(hours=3),
                ended_at=T0 - timedelta(hours=2),
                context={"email": "ana@example.com", "cart_key": "old"},
            )
        )
        db.session.flush()
        scope.add(
            Message(
                run_id=earlier.id,
                step=0,
                channel="email",
                customer_id=customer.id,
                recipient="ana@example.com",
                status="sent",
                idempotency_key="<old@test>",
                sent_at=T0 - timedelta(hours=2),
            )
        )
        created = order_event(ev.OrderCreated, shop_id, T0, paid_at=T0)
        apply(created)
        db.session.flush()
        after_created = _state(shop_id)
        apply(order_event(ev.OrderPaid, shop_id, T0))
        db.session.flush()
        after_paid = _state(shop_id)
    db.session.commit()

    assert after_paid == after_created
    # What "created" alone did: paid, converted the cart and stopped its reminder, earned
    # by the message sent before, and the cross-sell started.
    order = scope.first(Order, Order.platform_order_id == "o-1")
    assert order is not None and order.paid_at == T0
    runs = {(r.flow_key, r.state, r.end_reason) for r in scope.all(FlowRun)}
    assert runs == {
        ("abandoned_cart", "cancelled", "order_placed"),
        ("abandoned_cart", "converted", None),
        ("cross_sell", "active", None),
    }
    assert db.session.get(FlowRun, earlier.id).converted_order_id == order.id
    assert scope.first(Cart, Cart.cart_key == "c-1").status == "converted"
