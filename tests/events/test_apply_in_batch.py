"""Events applied in one batch's transaction (as the drain applies many deliveries): the
rows an event locked serve the next events of the same cart, order and customer, and an
erasure in between is seen by everything after it."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from app.events import types as ev
from app.events.apply import apply, read_ahead
from app.flows import abandoned_cart, browse_abandonment
from app.models import Cart, Customer, FlowRun, Order, OrderLine, ShopScope, db
from app.models.batch import batch_memo
from app.models.flows import watch_active_runs
from tests.events.test_apply import T0, cart_event, order_event
from tests.support.statements import statements_sent


def test_an_order_after_its_cart_in_one_batch_converts_it_and_stops_its_reminder(flow_shop):
    shop_id = flow_shop.id
    with batch_memo(db.session()):
        apply(cart_event(shop_id, T0, quantity=2))
        apply(order_event(ev.OrderCreated, shop_id, T0))
        apply(order_event(ev.OrderPaid, shop_id, T0))
        apply(cart_event(shop_id, T0, quantity=3, cart_key="c-2"))
    db.session.commit()

    carts = db.session.execute(sa.select(Cart.cart_key, Cart.status).order_by(Cart.cart_key))
    assert [tuple(row) for row in carts] == [("c-1", "converted"), ("c-2", "active")]
    customer = db.session.scalars(sa.select(Customer)).one()
    assert (customer.email, customer.platform_customer_id) == ("ana@example.com", "77")
    order = db.session.scalars(sa.select(Order)).one()
    assert (order.customer_id, order.paid_at, customer.order_count) == (customer.id, T0, 1)
    runs = db.session.execute(
        sa.select(FlowRun.flow_key, FlowRun.subject_key, FlowRun.state, FlowRun.end_reason)
    ).all()
    assert ("abandoned_cart", "cart:c-1", "cancelled", "order_placed") in runs
    assert ("abandoned_cart", "cart:c-2", "active", None) in runs


def test_after_an_erasure_in_the_batch_the_same_shopper_starts_afresh(flow_shop):
    shop_id = flow_shop.id
    ana = ev.Contact(email="ana@example.com", email_consent=True)
    with batch_memo(db.session()):
        apply(cart_event(shop_id, T0, quantity=1))
        apply(ev.CustomerRedact(shop_id=shop_id, customer=ana, order_ids=()))
        apply(cart_event(shop_id, T0, quantity=2))
    db.session.commit()

    customers = db.session.execute(
        sa.select(Customer.id, Customer.email, Customer.redacted_at.is_not(None)).order_by(
            Customer.id
        )
    ).all()
    assert [(email, redacted) for _, email, redacted in customers] == [
        (None, True),
        ("ana@example.com", False),
    ]
    cart = db.session.scalars(sa.select(Cart)).one()
    assert (cart.cart_key, cart.customer_id, cart.status) == ("c-1", customers[1][0], "active")
    assert [item["quantity"] for item in cart.items] == [2]


def _lines() -> list[tuple[int, str, int]]:
    rows = db.session.execute(
        sa.select(OrderLine.id, OrderLine.platform_product_id, OrderLine.quantity).order_by(
            OrderLine.platform_product_id
        )
    )
    return [tuple(row) for row in rows]


def test_an_orders_repeated_lines_in_a_batch_are_written_once_and_new_lines_replace_them(shop):
    shirt = (ev.LineItem(product_id="1001", quantity=1, unit_price=Decimal("10")),)
    socks = (ev.LineItem(product_id="2002", quantity=3, unit_price=Decimal("5")),)
    with batch_memo(db.session()):
        apply(order_event(ev.OrderCreated, shop.id, T0, items=shirt))
        first = _lines()
        apply(order_event(ev.OrderPaid, shop.id, T0, items=shirt))
        repeated = _lines()
        apply(order_event(ev.OrderPaid, shop.id, T0 + timedelta(minutes=1), items=shirt + socks))
    db.session.commit()

    assert [line[1:] for line in first] == [("1001", 1)]
    assert repeated == first  # the same rows: nothing deleted and written again
    assert [line[1:] for line in _lines()] == [("1001", 1), ("2002", 3)]


def test_a_cart_stops_the_shoppers_browse_run_and_costs_no_update_in_a_shop_without_one(
    make_shop,
):
    watched, quiet = make_shop(n=1).id, make_shop(n=2).id
    ana = ShopScope(watched).add(Customer(email="ana@example.com", email_consent="granted"))
    db.session.flush()
    browse = ShopScope(watched).add(
        FlowRun(
            flow_key=browse_abandonment.KEY,
            subject_key=f"customer:{ana.id}",
            customer_id=ana.id,
            context={"email": "ana@example.com"},
            started_at=T0,
        )
    )
    db.session.commit()

    with batch_memo(db.session()):
        watch_active_runs([watched, quiet])
        apply(cart_event(watched, T0, quantity=1))
        apply(cart_event(quiet, T0, quantity=1))  # the first ask of each flow reads for both
        with statements_sent() as statements:
            apply(cart_event(quiet, T0 + timedelta(minutes=1), quantity=2))
    db.session.commit()

    assert (browse.state, browse.end_reason) == ("cancelled", "cart_started")
    assert not [s for s in statements if s.startswith("UPDATE flow_runs")], statements
    quiet_cart = ShopScope(quiet).first(Cart)
    assert quiet_cart is not None and [i["quantity"] for i in quiet_cart.items] == [2]


def _applied_in_a_batch_read_ahead(events: list[ev.Event]) -> list[str]:
    """Apply the events as the drain does (read ahead, then one by one) and commit; the
    statements the applying sent."""
    with batch_memo(db.session()):
        read_ahead(events)
        with statements_sent() as statements:
            for event in events:
                apply(event)
    db.session.commit()
    return statements


def test_a_batch_reads_ahead_which_carts_were_ordered_and_counts_its_own_orders_too(flow_shop):
    shop_id = flow_shop.id
    apply(order_event(ev.OrderCreated, shop_id, T0, order_id="o-1", cart_key="c-1"))
    apply(order_event(ev.OrderCreated, shop_id, T0, order_id="o-4", cart_key="c-4"))
    apply(order_event(ev.OrderCancelled, shop_id, T0 + timedelta(minutes=1), order_id="o-4"))
    db.session.commit()
    later = T0 + timedelta(minutes=5)
    events = [
        cart_event(shop_id, later, quantity=1, cart_key="c-1"),  # its order came first
        order_event(ev.OrderCreated, shop_id, later, order_id="o-2", cart_key="c-2"),
        cart_event(shop_id, later, quantity=1, cart_key="c-2"),  # ordered earlier in the batch
        cart_event(shop_id, later, quantity=1, cart_key="c-3"),
        cart_event(shop_id, later, quantity=1, cart_key="c-4"),  # its only order was cancelled
    ]
    statements = _applied_in_a_batch_read_ahead(events)

    carts = db.session.execute(sa.select(Cart.cart_key, Cart.status).order_by(Cart.cart_key))
    assert [tuple(row) for row in carts] == [
        ("c-1", "converted"),
        ("c-2", "converted"),
        ("c-3", "active"),
        ("c-4", "active"),
    ]
    assert not [s for s in statements if " ".join(s.split()).startswith("SELECT orders.id FROM")]
    assert not [s for s in statements if "sequence_finished" in s or "end_reason =" in s]
    runs = db.session.execute(sa.select(FlowRun.subject_key, FlowRun.state)).all()
    assert ("cart:c-3", "active") in runs and ("cart:c-4", "active") in runs


def test_a_cart_that_finished_its_reminders_lately_is_not_enrolled_again_in_a_batch(flow_shop):
    shop_id = flow_shop.id
    ShopScope(shop_id).add(
        FlowRun(
            flow_key=abandoned_cart.KEY,
            subject_key="cart:c-1",
            state="completed",
            end_reason="sequence_finished",
            context={"cart_key": "c-1"},
            started_at=T0 - timedelta(days=4),
            ended_at=T0 - timedelta(days=1),
        )
    )
    db.session.commit()
    events = [
        cart_event(shop_id, T0, quantity=1, cart_key="c-1"),
        cart_event(shop_id, T0, quantity=1, cart_key="c-2"),
    ]
    statements = _applied_in_a_batch_read_ahead(events)

    runs = db.session.execute(sa.select(FlowRun.subject_key, FlowRun.state)).all()
    assert sorted(tuple(run) for run in runs) == [
        ("cart:c-1", "completed"),
        ("cart:c-2", "active"),
    ]
    assert not [s for s in statements if "sequence_finished" in s or "end_reason =" in s]
