"""Attribution: the message that earned an order, revenue per flow, and the holdout's
conversions; plus how flows rank against each other under the frequency cap."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from app.events import types as ev
from app.events.apply import apply
from app.flows import abandoned_cart
from app.flows.engine import engine
from app.flows.engine.engine import is_held_out, ranks
from app.flows.engine.guards import frequency_cap
from app.flows.engine.settings import save_settings, settings_for
from app.flows.registry import FLOWS
from app.insights.attribution import flow_results, run_revenue
from app.models import Customer, FlowRun, Message, ShopScope, db
from tests.support.flows import START, cart_payload, order_payload
from tests.support.statements import statements_sent

SHOPPER = "ania@example.com"


def _sent_run(
    shop_id, subject, *, sent_at, clicked_at=None, flow_key="abandoned_cart", recipient=SHOPPER
):
    scope = ShopScope(shop_id)
    customer = scope.first(Customer, Customer.email == recipient)
    run = scope.add(
        FlowRun(
            flow_key=flow_key,
            subject_key=subject,
            customer_id=customer.id if customer else None,
            state="completed",
            started_at=sent_at - timedelta(hours=1),
            ended_at=sent_at,
            context={"email": recipient, "cart_key": subject.split(":")[1]},
        )
    )
    db.session.flush()
    scope.add(
        Message(
            run_id=run.id,
            step=0,
            channel="email",
            customer_id=run.customer_id,
            recipient=recipient,
            status="sent",
            idempotency_key=f"<{subject}@test>",
            sent_at=sent_at,
            clicked_at=clicked_at,
        )
    )
    db.session.commit()
    return run


@pytest.fixture()
def known_shopper(flow_shop, shop_events, sim_clock):
    """A customer row for the shopper (created, like in production, by a cart event)."""
    shop_events("cart/updated", cart_payload("c-0", items=[]))
    return flow_shop


def test_order_goes_to_the_last_clicked_message_within_five_days(
    known_shopper, sim_clock, shop_events
):
    shop = known_shopper
    clicked = _sent_run(
        shop.id, "cart:a", sent_at=START - timedelta(days=4), clicked_at=START - timedelta(days=3)
    )
    received = _sent_run(shop.id, "cart:b", sent_at=START - timedelta(hours=2))
    shop_events("order/created", {**order_payload("o-1", "zzz", SHOPPER, "250.00"), "paid": True})
    db.session.refresh(clicked)
    db.session.refresh(received)
    assert (clicked.state, run_revenue(shop.id, clicked)) == ("converted", 250)
    assert clicked.converted_order_id is not None
    assert received.state == "completed"  # a click outranks a mere receipt
    assert flow_results(shop.id, "abandoned_cart")["messaged"]["revenue"] == 250


def test_without_a_click_the_message_received_within_a_day_earns_the_order(
    known_shopper, sim_clock, shop_events
):
    shop = known_shopper
    old = _sent_run(shop.id, "cart:a", sent_at=START - timedelta(days=2))
    recent = _sent_run(shop.id, "cart:b", sent_at=START - timedelta(hours=20))
    shop_events("order/created", order_payload("o-1", None, SHOPPER, "99.00"))
    shop_events("order/paid", {**order_payload("o-1", None, SHOPPER, "99.00"), "paid": True})
    db.session.refresh(old)
    db.session.refresh(recent)
    assert old.state == "completed"
    assert (recent.state, run_revenue(shop.id, recent)) == ("converted", 99)
    assert flow_results(shop.id, "abandoned_cart")["messaged"]["converted"] == 1  # paid: once


def test_an_order_long_after_the_last_message_is_not_attributed(
    known_shopper, sim_clock, shop_events
):
    shop = known_shopper
    run = _sent_run(
        shop.id, "cart:a", sent_at=START - timedelta(days=6), clicked_at=START - timedelta(days=6)
    )
    shop_events("order/created", order_payload("o-1", None, SHOPPER, "99.00"))
    db.session.refresh(run)
    assert run.state == "completed" and run.converted_order_id is None


def test_holdout_conversions_are_recorded_without_any_message(
    flow_shop, sim_clock, shop_events, tick
):
    save_settings(flow_shop.id, abandoned_cart.FLOW, {"holdout_percent": 50})
    db.session.commit()
    key = next(
        k for k in (f"c-{i}" for i in range(100)) if is_held_out(flow_shop.id, f"cart:{k}", 50)
    )
    shop_events("cart/updated", cart_payload(key))
    tick(minutes=61)
    sim_clock.advance(hours=3)
    shop_events("order/created", {**order_payload("o-1", key, SHOPPER, "320.00"), "paid": True})
    (run,) = ShopScope(flow_shop.id).all(FlowRun)
    assert run.held_out and (run.state, run_revenue(flow_shop.id, run)) == ("converted", 320)
    assert ShopScope(flow_shop.id).all(Message) == []
    results = flow_results(flow_shop.id, "abandoned_cart")
    assert results["held_out"] == {"enrolled": 1, "converted": 1, "revenue": 320}
    assert results["messaged"]["enrolled"] == 0


def test_abandoned_cart_wins_the_frequency_cap_over_lower_ranked_flows(
    known_shopper, sim_clock, monkeypatch
):
    shop = known_shopper
    cross_sell = replace(abandoned_cart.FLOW, key="cross_sell", rank=10)
    ranked = tuple(cross_sell if flow.key == "cross_sell" else flow for flow in FLOWS)
    monkeypatch.setattr(engine, "FLOWS", ranked)
    _sent_run(shop.id, "cart:x", sent_at=START - timedelta(hours=1), flow_key="cross_sell")
    cart_run = _sent_run(shop.id, "cart:y", sent_at=START - timedelta(hours=2))
    settings = settings_for(shop.id, abandoned_cart.FLOW)
    # An abandoned-cart step is not held back by yesterday's cross-sell...
    new_cart = ShopScope(shop.id).add(
        FlowRun(
            flow_key="abandoned_cart",
            subject_key="cart:z",
            customer_id=cart_run.customer_id,
            started_at=START,
            context={"email": SHOPPER},
        )
    )
    db.session.flush()
    assert frequency_cap(shop, cross_sell, new_cart, settings, START, ranks()) == (
        START - timedelta(hours=1) + timedelta(hours=24)
    )
    only_cart_messages = frequency_cap(
        shop, abandoned_cart.FLOW, new_cart, settings, START, ranks()
    )
    # ...only by the other abandoned-cart message (same rank), sent 2 h ago.
    assert only_cart_messages == START - timedelta(hours=2) + timedelta(hours=24)


def test_a_placed_cash_on_delivery_order_converts_the_run_but_is_revenue_only_once_paid(
    known_shopper, sim_clock, shop_events
):
    shop = known_shopper
    run = _sent_run(shop.id, "cart:a", sent_at=START - timedelta(hours=2))
    placed = {**order_payload("o-1", "a", SHOPPER, "250.00"), "payment_method": "cod"}
    shop_events("order/created", placed)
    db.session.refresh(run)
    # The shopper acted on the reminder: the run is converted at once...
    assert run.state == "converted" and run.converted_order_id is not None
    # ...but nothing is paid until the courier collects the money on delivery.
    assert run_revenue(shop.id, run) == 0
    assert flow_results(shop.id, "abandoned_cart")["messaged"]["revenue"] == 0

    sim_clock.advance(days=3)
    delivered = {**placed, "paid": True, "updated_at": sim_clock.now().isoformat()}
    shop_events("order/paid", delivered)
    assert run_revenue(shop.id, run) == 250
    assert flow_results(shop.id, "abandoned_cart")["messaged"] == {
        "enrolled": 1,
        "converted": 1,
        "revenue": 250,
    }


def test_a_refund_lowers_the_flows_revenue_and_the_same_refund_twice_counts_once(
    known_shopper, sim_clock, shop_events
):
    shop = known_shopper
    run = _sent_run(shop.id, "cart:a", sent_at=START - timedelta(hours=2))
    shop_events("order/created", {**order_payload("o-1", "a", SHOPPER, "250.00"), "paid": True})
    assert flow_results(shop.id, "abandoned_cart")["messaged"]["revenue"] == 250
    refund = ev.OrderRefunded(
        shop_id=shop.id, order_id="o-1", refund_id="r-1", amount=Decimal("40.00"), refunded_at=START
    )
    apply(refund)
    apply(refund)  # its webhook, then the same refund inside the updated order
    db.session.commit()
    assert run_revenue(shop.id, run) == 210
    assert flow_results(shop.id, "abandoned_cart")["messaged"]["revenue"] == 210
    customer = ShopScope(shop.id).first(Customer, Customer.email == SHOPPER)
    assert customer.total_spent == 210  # the customer's spend is net of it too


def test_a_cancelled_order_is_no_revenue_and_no_conversion(known_shopper, sim_clock, shop_events):
    shop = known_shopper
    run = _sent_run(shop.id, "cart:a", sent_at=START - timedelta(hours=2))
    paid = {**order_payload("o-1", "a", SHOPPER, "250.00"), "paid": True}
    shop_events("order/created", paid)
    assert flow_results(shop.id, "abandoned_cart")["messaged"]["converted"] == 1
    sim_clock.advance(hours=1)
    shop_events("order/cancelled", {**paid, "updated_at": sim_clock.now().isoformat()})
    assert run_revenue(shop.id, run) == 0
    assert flow_results(shop.id, "abandoned_cart")["messaged"] == {
        "enrolled": 1,
        "converted": 0,
        "revenue": 0,
    }


def test_an_order_created_and_paid_in_one_batch_converts_its_run_once(
    known_shopper, sim_clock, post_demo_webhook, run_jobs
):
    shop = known_shopper
    recent = _sent_run(shop.id, "cart:b", sent_at=START - timedelta(hours=2))
    created = order_payload("o-1", None, SHOPPER, "99.00")
    assert post_demo_webhook("order/created", created, delivery_id="b-1").status_code == 200
    paid = {**created, "paid": True}
    assert post_demo_webhook("order/paid", paid, delivery_id="b-2").status_code == 200
    run_jobs("events")  # one drain: both deliveries in one batch

    db.session.refresh(recent)
    assert (recent.state, run_revenue(shop.id, recent)) == ("converted", 99)
    assert flow_results(shop.id, "abandoned_cart")["messaged"]["converted"] == 1


def test_a_batch_of_orders_reads_the_messages_that_may_have_earned_them_once(
    known_shopper, sim_clock, post_demo_webhook, run_jobs
):
    """Three orders in one drain: the known shopper's (her clicked reminder earns it), a
    guest's whose address got a reminder with no customer row (earned by it), a newcomer's
    (nothing): each attributed as alone, from one read of the messages for the batch."""
    shop = known_shopper
    hers = _sent_run(
        shop.id, "cart:a", sent_at=START - timedelta(days=2), clicked_at=START - timedelta(days=1)
    )
    guest = "gosia@example.com"
    guests = _sent_run(shop.id, "cart:g", sent_at=START - timedelta(hours=3), recipient=guest)
    assert guests.customer_id is None
    orders = [(SHOPPER, "120.00"), (guest, "80.00"), ("nowy@example.com", "50.00")]
    for n, (email, total) in enumerate(orders):
        payload = order_payload(f"o-{n}", None, email, total)
        assert post_demo_webhook("order/created", payload, delivery_id=f"b-{n}").status_code == 200

    with statements_sent() as statements:
        assert run_jobs("events") == 1  # one drain, one batch
    message_reads = [s for s in statements if s.startswith("SELECT") and "FROM messages" in s]
    assert len(message_reads) == 1

    db.session.refresh(hers)
    db.session.refresh(guests)
    assert (hers.state, run_revenue(shop.id, hers)) == ("converted", 0)  # converted, not paid
    assert guests.state == "converted"
    assert hers.converted_order_id != guests.converted_order_id
    assert flow_results(shop.id, "abandoned_cart")["messaged"]["converted"] == 2
