"""The cross-sell flow end to end: signed demo webhooks in, one email out through a real SMTP
server a week after the order, on a simulated clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest

from app.events import types as ev
from app.events.apply import apply
from app.flows import cross_sell
from app.flows.engine import clock
from app.flows.engine.settings import SettingError, save_settings, settings_for
from app.insights.attribution import run_revenue
from app.models import FlowRun, Message, ShopScope, db
from tests.support.shopping import add_product

SHOPPER = "ola@example.com"
TITLES = {
    "2001": "Linen shirt",
    "2002": "Wool scarf",
    "2003": "Leather belt",
    "2004": "Silk tie",
    "2005": "Canvas tote",
    "2006": "Cotton socks",
    "2007": "Straw hat",
    "2008": "Denim jacket",
}


@pytest.fixture()
def cross_sell_shop(flow_shop):
    """A shop whose picks for the shirt are every other product, in this order."""
    picks = ("2002", "2003", "2004", "2005", "2006", "2007")
    add_product(flow_shop.id, "2001", title=TITLES["2001"], cross_sell_ids=picks)
    add_product(flow_shop.id, "2002", title=TITLES["2002"])
    add_product(flow_shop.id, "2003", title=TITLES["2003"], in_stock=False)
    add_product(flow_shop.id, "2004", title=TITLES["2004"], status="draft")
    for pid in ("2005", "2006", "2007"):
        add_product(flow_shop.id, pid, title=TITLES[pid], url=f"https://shop.example/p/{pid}")
    add_product(flow_shop.id, "2008", title=TITLES["2008"])
    save_settings(flow_shop.id, cross_sell.FLOW, {"holdout_percent": 0}, enabled=True)
    db.session.commit()
    return flow_shop


def paid_order(
    order_id: str, pids: list[str], *, consent: bool | None = True, at: datetime | None = None
) -> dict[str, Any]:
    placed = (at or clock.now()).isoformat()
    return {
        "id": order_id,
        "customer": {
            "id": "c-ola",
            "email": SHOPPER,
            "first_name": "Ola",
            "locale": "en",
            "accepts_marketing": consent,
        },
        "items": [{"product_id": p, "quantity": 1, "price": "60.00"} for p in pids],
        "total": f"{60 * len(pids)}.00",
        "currency": "PLN",
        "paid": True,
        "created_at": placed,
        "updated_at": placed,
    }


def _html(mail: EmailMessage) -> str:
    part = mail.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def _text(mail: EmailMessage) -> str:
    part = mail.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def _runs(shop_id: int) -> dict[str, FlowRun]:
    runs = ShopScope(shop_id).all(FlowRun, FlowRun.flow_key == cross_sell.KEY)
    return {run.subject_key: run for run in runs}


def test_mail_a_week_after_payment_suggests_what_goes_with_it_never_bought_or_unavailable(
    cross_sell_shop, sim_clock, shop_events, tick, mailbox
):
    # Bought the tote a month ago: it is theirs already and not suggested again.
    shop_events("order/paid", paid_order("o-old", ["2005"], at=clock.now() - timedelta(days=30)))
    shop_events("order/paid", paid_order("o-1", ["2001", "2002"]))

    tick(days=6, hours=23)
    assert mailbox.received == []
    tick(hours=1)

    (mail,) = mailbox.received
    html, text = _html(mail), _text(mail)
    assert mail["To"] == SHOPPER
    assert "Ola, these go well with your order" in text
    for suggested in ("Cotton socks", "Straw hat"):
        assert suggested in html and suggested in text
    assert "Denim jacket" not in html  # not one of the shop's picks, and no history to learn
    for never in ("Linen shirt", "Wool scarf", "Canvas tote"):  # in this order or bought before
        assert never not in html
    assert "Leather belt" not in html  # out of stock
    assert "Silk tie" not in html  # unpublished (draft)
    assert "https://shop.example/p/2006" not in text  # product links are tracked
    assert "http://storeflow.test/t/c/" in text
    runs = _runs(cross_sell_shop.id)
    first = runs[f"order:{_order_id(cross_sell_shop.id, 'o-1')}"]
    assert (first.state, first.end_reason) == ("completed", "sequence_finished")


def _order_id(shop_id: int, platform_id: str) -> int:
    from app.models import Order

    order = ShopScope(shop_id).first(Order, Order.platform_order_id == platform_id)
    assert order is not None
    return order.id


def test_no_cross_sell_without_marketing_consent(
    cross_sell_shop, sim_clock, shop_events, tick, mailbox
):
    shop_events("order/paid", paid_order("o-1", ["2001"], consent=False))
    tick(days=8)
    assert mailbox.received == []
    assert _runs(cross_sell_shop.id) == {}


def test_an_order_that_is_only_created_not_paid_starts_nothing(
    cross_sell_shop, sim_clock, shop_events, tick, mailbox
):
    payload = {**paid_order("o-1", ["2001"]), "paid": False}
    shop_events("order/created", payload)
    tick(days=8)
    assert mailbox.received == [] and _runs(cross_sell_shop.id) == {}


def test_ordering_again_before_the_send_stops_the_first_orders_email(
    cross_sell_shop, sim_clock, shop_events, tick, mailbox
):
    shop_events("order/paid", paid_order("o-1", ["2001"]))
    tick(days=3)
    shop_events("order/paid", paid_order("o-2", ["2008"]))
    first = _runs(cross_sell_shop.id)[f"order:{_order_id(cross_sell_shop.id, 'o-1')}"]
    assert (first.state, first.end_reason) == ("cancelled", "order_placed")

    tick(days=4, minutes=1)  # a week after the first order: nothing for it
    assert mailbox.received == []
    # The second order has no picks, and without history or bestsellers nothing to suggest.
    tick(days=3)
    second = _runs(cross_sell_shop.id)[f"order:{_order_id(cross_sell_shop.id, 'o-2')}"]
    assert (second.state, second.end_reason) == ("cancelled", "nothing_to_recommend")
    assert mailbox.received == []


def test_a_replayed_payment_of_the_older_order_does_not_stop_the_newer_orders_email(
    cross_sell_shop, sim_clock, shop_events, tick, mailbox
):
    first = paid_order("o-1", ["2001"])
    shop_events("order/paid", first)
    tick(days=1)
    shop_events("order/paid", paid_order("o-2", ["2001"]))
    shop_events("order/paid", first)  # the platform delivers the old payment once more
    second = _runs(cross_sell_shop.id)[f"order:{_order_id(cross_sell_shop.id, 'o-2')}"]
    assert second.state == "active"
    tick(days=7)
    assert len(mailbox.received) == 1


def test_an_order_placed_after_the_step_was_queued_still_stops_the_email(
    cross_sell_shop, sim_clock, shop_events, run_jobs, mailbox
):
    from app.flows.engine.timers import enqueue_due_runs

    shop_events("order/paid", paid_order("o-1", ["2001"]))
    sim_clock.advance(days=7, minutes=1)
    assert enqueue_due_runs(sim_clock.now()) == 1
    # The send-time guard sees the new order even though its stop rule is not what ended it.
    run = next(iter(_runs(cross_sell_shop.id).values()))
    from app.models import Order

    ShopScope(cross_sell_shop.id).add(
        Order(
            platform_order_id="o-2",
            customer_id=run.customer_id,
            email=SHOPPER,
            placed_at=sim_clock.now() - timedelta(minutes=1),
        )
    )
    db.session.commit()
    run_jobs("flows")
    assert mailbox.received == []
    assert _runs(cross_sell_shop.id)[run.subject_key].end_reason == "order_placed"


def test_cancelled_order_gets_no_cross_sell(cross_sell_shop, sim_clock, shop_events, tick, mailbox):
    order = paid_order("o-1", ["2001"])
    shop_events("order/paid", order)
    tick(days=2)
    shop_events("order/cancelled", {**order, "updated_at": clock.now().isoformat()})
    tick(days=6)
    assert mailbox.received == []
    (run,) = _runs(cross_sell_shop.id).values()
    assert run.end_reason == "order_cancelled"


def test_upsell_block_shows_a_pricier_product_of_the_same_kind_when_turned_on(
    cross_sell_shop, sim_clock, shop_events, tick, mailbox
):
    add_product(cross_sell_shop.id, "3001", title="Silk shirt", category="Shirts", price="300")
    add_product(cross_sell_shop.id, "3002", title="Cheap shirt", category="Shirts", price="10")
    add_product(
        cross_sell_shop.id,
        "2001",
        title=TITLES["2001"],
        category="Shirts",
        price="60",
        cross_sell_ids=("2006",),
        updated_at=clock.now(),
    )
    save_settings(cross_sell_shop.id, cross_sell.FLOW, {"upsell": True})
    db.session.commit()
    shop_events("order/paid", paid_order("o-1", ["2001"]))
    tick(days=7, minutes=1)

    (mail,) = mailbox.received
    text = _text(mail)
    assert "Cotton socks" in text
    upsell = text.split("A step up from your choice:")[1]
    assert "Silk shirt" in upsell and "Cheap shirt" not in text


def test_settings_out_of_bounds_are_refused_and_nothing_is_stored(cross_sell_shop):
    with pytest.raises(SettingError, match="products must be at most 4"):
        save_settings(cross_sell_shop.id, cross_sell.FLOW, {"products": 5})
    with pytest.raises(SettingError, match="email_delay_minutes must be a whole number"):
        save_settings(cross_sell_shop.id, cross_sell.FLOW, {"email_delay_minutes": "soon"})
    db.session.rollback()
    settings = settings_for(cross_sell_shop.id, cross_sell.FLOW)
    assert settings["products"] == 4 and settings["email_delay_minutes"] == 7 * 1440


def test_messages_of_the_flow_are_marketing_with_the_right_template(
    cross_sell_shop, sim_clock, shop_events, tick, mailbox
):
    shop_events("order/paid", paid_order("o-1", ["2001"]))
    tick(days=7, minutes=1)
    (message,) = ShopScope(cross_sell_shop.id).all(Message)
    assert (message.kind, message.meta["template"], message.status) == (
        "marketing",
        "cross_sell",
        "sent",
    )


def test_an_order_the_day_after_the_email_is_credited_to_it(
    cross_sell_shop, sim_clock, shop_events, tick, mailbox
):
    shop_events("order/paid", paid_order("o-1", ["2001"]))
    tick(days=7, minutes=1)
    assert len(mailbox.received) == 1
    sim_clock.advance(hours=20)
    shop_events("order/paid", paid_order("o-2", ["2006"]))

    first = _runs(cross_sell_shop.id)[f"order:{_order_id(cross_sell_shop.id, 'o-1')}"]
    assert (first.state, run_revenue(cross_sell_shop.id, first)) == ("converted", 60)
    assert first.converted_order_id == _order_id(cross_sell_shop.id, "o-2")


def test_an_order_paid_late_in_the_evening_is_followed_up_after_quiet_hours(
    cross_sell_shop, sim_clock, shop_events, tick, mailbox
):
    sim_clock.advance(hours=11)  # 21:00 UTC is 22:00 in Warsaw
    shop_events("order/paid", paid_order("o-1", ["2001"]))
    tick(days=7, minutes=1)
    assert mailbox.received == []
    tick(hours=9, minutes=58)  # 07:59 in Warsaw: still quiet
    assert mailbox.received == []
    tick(minutes=2)  # 08:01 in Warsaw
    assert len(mailbox.received) == 1


def test_held_out_customers_get_no_email_but_their_runs_are_counted(
    cross_sell_shop, sim_clock, shop_events, tick, mailbox
):
    save_settings(cross_sell_shop.id, cross_sell.FLOW, {"holdout_percent": 50})
    db.session.commit()
    for n in range(20):
        shop_events(
            "order/paid",
            {
                **paid_order(f"o-{n}", ["2001"]),
                "customer": {
                    "id": f"c-{n}",
                    "email": f"c{n}@example.com",
                    "accepts_marketing": True,
                },
            },
        )
    tick(days=7, minutes=1)

    runs = list(_runs(cross_sell_shop.id).values())
    held_out = [run for run in runs if run.held_out]
    assert 0 < len(held_out) < 20
    assert len(mailbox.received) == 20 - len(held_out)
    assert {m["To"] for m in mailbox.received}.isdisjoint(
        {run.context["email"] for run in held_out}
    )


def test_an_order_paid_again_after_its_email_went_out_gets_no_second_email(
    cross_sell_shop, sim_clock, shop_events, tick, mailbox
):
    order = paid_order("o-1", ["2001"])
    shop_events("order/paid", order)
    tick(days=8)
    assert len(mailbox.received) == 1
    # WooCommerce says "paid" again when the order is completed; the reconcile replays it.
    shop_events("order/paid", {**order, "updated_at": clock.now().isoformat()})
    tick(days=8)
    assert len(mailbox.received) == 1


def test_after_fulfilment_the_email_counts_from_when_the_order_was_sent(
    cross_sell_shop, sim_clock, shop_events, tick, mailbox
):
    save_settings(cross_sell_shop.id, cross_sell.FLOW, {"starts_after": "fulfilled"})
    db.session.commit()
    shop_events("order/paid", paid_order("o-1", ["2001"]))
    tick(days=8)
    # Paid, but not sent yet: the "after fulfilment" clock has not started.
    assert mailbox.received == [] and _runs(cross_sell_shop.id) == {}

    sent_at = sim_clock.now()
    apply(ev.OrderFulfilled(shop_id=cross_sell_shop.id, order_id="o-1", fulfilled_at=sent_at))
    db.session.commit()
    (run,) = _runs(cross_sell_shop.id).values()
    assert run.next_step_at == sent_at + timedelta(days=7)
    # The same fulfilment reported again later (fulfillments/update, orders/updated) does not
    # move the clock.
    sim_clock.advance(days=1)
    apply(ev.OrderFulfilled(shop_id=cross_sell_shop.id, order_id="o-1", fulfilled_at=sent_at))
    db.session.commit()
    db.session.refresh(run)
    assert run.next_step_at == sent_at + timedelta(days=7)
    tick(days=5, hours=23)
    assert mailbox.received == []
    tick(hours=1, minutes=1)
    assert len(mailbox.received) == 1


def test_a_placed_cash_on_delivery_order_starts_nothing_until_paid(
    cross_sell_shop, sim_clock, shop_events, tick, mailbox
):
    placed = {**paid_order("o-1", ["2001"]), "paid": False, "payment_method": "cod"}
    shop_events("order/created", placed)
    tick(days=8)
    assert mailbox.received == [] and _runs(cross_sell_shop.id) == {}
    delivered = {**placed, "paid": True, "updated_at": sim_clock.now().isoformat()}
    shop_events("order/paid", delivered)
    (run,) = _runs(cross_sell_shop.id).values()
    # The email counts from the payment on delivery, not from the placing a week ago.
    assert run.next_step_at == sim_clock.now() + timedelta(days=7)


def test_in_one_batch_an_order_paid_again_after_a_newer_order_stopped_its_email_starts_none(
    cross_sell_shop, sim_clock, post_demo_webhook, run_jobs
):
    first = paid_order("o-1", ["2001"], at=clock.now() - timedelta(days=1))
    deliveries = [first, paid_order("o-2", ["2001"]), first]  # the old payment once more
    for n, payload in enumerate(deliveries):
        assert post_demo_webhook("order/paid", payload, delivery_id=f"b-{n}").status_code == 200
    run_jobs("events")  # one drain: the three deliveries in one batch

    runs = ShopScope(cross_sell_shop.id).all(FlowRun, FlowRun.flow_key == cross_sell.KEY)
    first_id, second_id = (_order_id(cross_sell_shop.id, key) for key in ("o-1", "o-2"))
    assert sorted((run.subject_key, run.state, run.end_reason) for run in runs) == [
        (f"order:{first_id}", "cancelled", "order_placed"),
        (f"order:{second_id}", "active", None),
    ]
