"""The win-back flow end to end: order history through signed demo webhooks, the daily
customer scan finds who went idle, mail goes out through a real SMTP server on a simulated
clock."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest

from app.flows import reactivation
from app.flows.engine import clock
from app.flows.engine.settings import SettingError, save_settings
from app.insights.idle import scan_customers
from app.models import Customer, Discount, FlowRun, Message, ShopScope, db
from tests.support.shopping import add_product

SHOPPER = "ola@example.com"


@pytest.fixture()
def winback_shop(flow_shop):
    """A shop whose pick for the shirt is the socks, with the win-back flow on."""
    add_product(flow_shop.id, "2001", title="Linen shirt", cross_sell_ids=("2006",))
    add_product(flow_shop.id, "2006", title="Cotton socks", url="https://shop.example/p/2006")
    add_product(flow_shop.id, "2008", title="Denim jacket")
    switch(flow_shop, holdout_percent=0)
    return flow_shop


def switch(shop, **settings: Any) -> None:
    save_settings(shop.id, reactivation.FLOW, settings, enabled=True)
    db.session.commit()


def paid_order(
    order_id: str, who: str = "ola", *, days_ago: float = 0, total: str = "60.00", consent=True
) -> dict[str, Any]:
    placed = (clock.now() - timedelta(days=days_ago)).isoformat()
    return {
        "id": order_id,
        "customer": {
            "id": f"c-{who}",
            "email": f"{who}@example.com",
            "first_name": who.capitalize(),
            "locale": "en",
            "accepts_marketing": consent,
        },
        "items": [{"product_id": "2001", "quantity": 1, "price": total}],
        "total": total,
        "currency": "PLN",
        "paid": True,
        "created_at": placed,
        "updated_at": placed,
    }


def scan(shop) -> dict[str, int]:
    """What the daily ``rq cron`` job does for the shop."""
    return scan_customers(shop.id, now=clock.now())


def _text(mail: EmailMessage) -> str:
    part = mail.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def _runs(shop_id: int) -> list[FlowRun]:
    return ShopScope(shop_id).all(FlowRun, FlowRun.flow_key == reactivation.KEY)


def test_idle_customer_is_asked_whether_they_remember_us_then_gets_a_last_hello_a_week_later(
    winback_shop, sim_clock, shop_events, tick, mailbox
):
    shop_events("order/paid", paid_order("o-1", days_ago=120))
    assert scan(winback_shop)["idle"] == 1

    tick(minutes=1)
    (first,) = mailbox.received
    text = _text(first)
    assert first["To"] == SHOPPER and first["Subject"] == "Do you remember us?"
    assert "Ola, do you remember us?" in text
    assert "How are you getting on with it?" in text
    assert "You bought:\n- Linen shirt" in text  # a reminder of what they have
    assert "Picked for you:\n- Cotton socks" in text  # picked for them from what they bought
    assert "Linen shirt" not in text.split("Picked for you:")[1]  # and not offered again
    assert "Now at a lower price" not in text  # nothing they saw is cheaper: no empty heading
    tick(days=6, hours=23)
    assert len(mailbox.received) == 1
    tick(hours=1)

    second = mailbox.received[1]
    assert second["Subject"] == "A last hello from us"
    assert "% off" not in _text(second)  # the discount is off by default
    (run,) = _runs(winback_shop.id)
    assert (run.state, run.end_reason) == ("completed", "sequence_finished")
    assert ShopScope(winback_shop.id).all(Discount) == []


def test_an_order_between_the_two_emails_stops_the_second(
    winback_shop, sim_clock, shop_events, tick, mailbox
):
    shop_events("order/paid", paid_order("o-1", days_ago=120))
    scan(winback_shop)
    tick(minutes=1)
    assert len(mailbox.received) == 1

    tick(days=3)
    shop_events("order/paid", paid_order("o-2"))
    tick(days=5)

    assert len(mailbox.received) == 1
    (run,) = _runs(winback_shop.id)
    assert (run.state, run.end_reason) == ("cancelled", "order_placed")


@pytest.mark.parametrize("offered", [True, False])
def test_second_email_carries_a_single_use_code_only_when_the_discount_is_on(
    winback_shop, sim_clock, shop_events, tick, mailbox, offered
):
    switch(winback_shop, discount=offered, discount_percent=15)
    shop_events("order/paid", paid_order("o-1", days_ago=120))
    scan(winback_shop)
    tick(minutes=1)
    tick(days=7)

    first, second = mailbox.received
    discounts = ShopScope(winback_shop.id).all(Discount)
    assert "% off" not in _text(first)
    if not offered:
        assert discounts == [] and second["Subject"] == "A last hello from us"
        return
    (discount,) = discounts
    assert second["Subject"] == "Come back for 15% off"
    assert discount.code.startswith("HELLO-") and discount.code in _text(second)
    assert discount.recipient == SHOPPER and discount.amount == 15
    second_message = ShopScope(winback_shop.id).first(Message, Message.step == 1)
    assert second_message is not None and discount.message_id == second_message.id
    assert discount.expires_at == second_message.sent_at + timedelta(hours=168)


def test_rfm_floor_leaves_out_customers_below_it(
    winback_shop, sim_clock, shop_events, tick, mailbox
):
    # Five lapsed customers who spent 100..500: monetary scores 1..5.
    for n in range(1, 6):
        shop_events("order/paid", paid_order(f"o-{n}", f"c{n}", days_ago=120, total=f"{n}00.00"))
    switch(winback_shop, min_monetary_score=4)

    assert scan(winback_shop)["idle"] == 5
    tick(minutes=1)

    assert sorted(m["To"] for m in mailbox.received) == ["c4@example.com", "c5@example.com"]


def test_daily_enrollment_cap_defers_the_rest_to_later_days_without_dropping_anyone(
    winback_shop, sim_clock, shop_events, tick, mailbox
):
    for n in range(1, 6):
        shop_events("order/paid", paid_order(f"o-{n}", f"c{n}", days_ago=120))
    switch(winback_shop, daily_enrollment_cap=2)
    today = clock.now().date()

    assert scan(winback_shop)["idle"] == 5
    runs = _runs(winback_shop.id)
    assert len(runs) == 5 and all(run.state == "active" for run in runs)  # everyone is waiting
    days = sorted(run.context["enroll_day"] for run in runs)
    assert days == [str(today)] * 2 + [str(today + timedelta(days=1))] * 2 + [
        str(today + timedelta(days=2))
    ]

    tick(minutes=1)
    assert len(mailbox.received) == 2
    tick(days=1)
    assert len(mailbox.received) == 4
    tick(days=1)
    assert len(mailbox.received) == 5
    assert len({m["To"] for m in mailbox.received}) == 5


def test_next_days_idle_customers_queue_behind_those_already_waiting(winback_shop, sim_clock):
    switch(winback_shop, daily_enrollment_cap=2)
    today = clock.now().date()
    for n in range(3):
        run = FlowRun(
            flow_key=reactivation.KEY,
            subject_key=f"customer:x{n}",
            context={"enroll_day": str(today + timedelta(days=n // 2))},
            started_at=clock.now(),
            state="cancelled",
        )
        ShopScope(winback_shop.id).add(run)
    db.session.flush()
    # Ended runs keep their place: tomorrow has one seat left, and nobody jumps the queue.
    assert reactivation.first_day_with_room(winback_shop.id, today, 2) == today + timedelta(1)
    assert reactivation.first_day_with_room(winback_shop.id, today, 3) == today + timedelta(1)
    assert reactivation.first_day_with_room(winback_shop.id, today, 1) == today + timedelta(2)


def test_no_win_back_without_marketing_consent(winback_shop, sim_clock, shop_events, tick, mailbox):
    shop_events("order/paid", paid_order("o-1", days_ago=120, consent=False))
    assert scan(winback_shop)["idle"] == 1
    tick(days=8)
    assert mailbox.received == [] and _runs(winback_shop.id) == []


def test_one_click_unsubscribe_from_the_first_email_stops_the_second(
    winback_shop, sim_clock, shop_events, tick, mailbox, client
):
    shop_events("order/paid", paid_order("o-1", days_ago=120))
    scan(winback_shop)
    tick(minutes=1)
    (first,) = mailbox.received
    url = first["List-Unsubscribe"].strip("<>").removeprefix("http://storeflow.test")
    assert client.post(url, data={"List-Unsubscribe": "One-Click"}).status_code == 200

    tick(days=8)
    assert len(mailbox.received) == 1
    (run,) = _runs(winback_shop.id)
    assert (run.state, run.end_reason) == ("cancelled", "unsubscribed")


def test_a_recent_customer_is_not_won_back(winback_shop, sim_clock, shop_events, tick, mailbox):
    shop_events("order/paid", paid_order("o-1", days_ago=30))
    assert scan(winback_shop)["idle"] == 0
    tick(days=8)
    assert mailbox.received == []


def test_settings_are_validated_together_and_the_scan_reads_the_idle_threshold(
    winback_shop, sim_clock, shop_events
):
    with pytest.raises(SettingError, match="second email must come after the first"):
        save_settings(
            winback_shop.id,
            reactivation.FLOW,
            {"email_2_delay_minutes": 0 + 1, "email_1_delay_minutes": 60},
        )
    with pytest.raises(SettingError, match="min_monetary_score must be at most 5"):
        save_settings(winback_shop.id, reactivation.FLOW, {"min_monetary_score": 6})
    db.session.rollback()
    switch(winback_shop, idle_days=20)
    shop_events("order/paid", paid_order("o-1", days_ago=30))
    assert scan(winback_shop)["idle"] == 1
    customer = ShopScope(winback_shop.id).first(Customer, Customer.email == SHOPPER)
    assert customer is not None and [r.customer_id for r in _runs(winback_shop.id)] == [customer.id]


def test_consent_withdrawn_in_the_shop_stops_the_second_email(
    winback_shop, sim_clock, shop_events, tick, mailbox
):
    from app.events import types as ev
    from app.events.apply import apply

    shop_events("order/paid", paid_order("o-1", days_ago=120))
    scan(winback_shop)
    tick(minutes=1)
    apply(
        ev.CustomerUpdated(
            shop_id=winback_shop.id,
            customer=ev.Contact(email=SHOPPER, platform_customer_id="c-ola", email_consent=False),
            updated_at=clock.now(),
        )
    )
    db.session.commit()
    tick(days=8)

    assert len(mailbox.received) == 1
    (run,) = _runs(winback_shop.id)
    assert (run.state, run.end_reason) == ("cancelled", "consent_withdrawn")


def test_a_customer_still_queued_behind_the_cap_keeps_their_place_when_found_idle_again(
    winback_shop, sim_clock, shop_events
):
    shop_events("order/paid", paid_order("o-1", "early", days_ago=400))
    shop_events("order/paid", paid_order("o-2", days_ago=400))
    switch(winback_shop, daily_enrollment_cap=1, cooldown_days=30)
    scan(winback_shop)
    before = {run.subject_key: run.context["enroll_day"] for run in _runs(winback_shop.id)}
    assert len(set(before.values())) == 2  # one today, one tomorrow

    # Pretend the queue is long: a month on, the second is still waiting and idle again.
    (queued,) = [
        r for r in _runs(winback_shop.id) if r.context["enroll_day"] == max(before.values())
    ]
    queued.next_step_at = clock.now() + timedelta(days=60)
    db.session.commit()
    sim_clock.advance(days=31)
    scan(winback_shop)

    runs = _runs(winback_shop.id)
    assert {run.subject_key: run.context["enroll_day"] for run in runs} == before
    assert len(runs) == 2
