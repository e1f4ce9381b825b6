"""Steps set to "best time": the win-back emails on the simulated clock go at the customer's
learned hour (shop's timezone), inside the window after their delay, under quiet hours and the
frequency cap. The sequence starts at 10:00 UTC on 20 November: 11:00 in Warsaw (UTC+1)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from app.flows import abandoned_cart, browse_abandonment, cross_sell, reactivation, welcome
from app.flows.engine import clock
from app.flows.engine.settings import save_settings
from app.insights.send_time import learn_send_times
from app.models import Customer, FlowRun, Message, ShopScope, db
from tests.conftest import ts
from tests.flows.test_reactivation import paid_order, scan
from tests.support.flows import START
from tests.support.send_times import plant_emails
from tests.support.shopping import add_product


@pytest.fixture()
def winback_shop(flow_shop):
    add_product(flow_shop.id, "2001", title="Linen shirt", cross_sell_ids=("2006",))
    add_product(flow_shop.id, "2006", title="Cotton socks", url="https://shop.example/p/2006")
    switch(flow_shop, email_1_best_time=True, email_2_best_time=True)
    return flow_shop


def switch(shop, **settings: Any) -> None:
    save_settings(shop.id, reactivation.FLOW, {"holdout_percent": 0, **settings}, enabled=True)
    db.session.commit()


@pytest.fixture()
def ola(winback_shop, shop_events) -> Customer:
    """A customer whose last order was 120 days ago (the scan will find her idle)."""
    shop_events("order/paid", paid_order("o-1", days_ago=120))
    found = ShopScope(winback_shop.id).first(Customer, Customer.email == "ola@example.com")
    assert found is not None
    return found


def opens_at(customer: Customer, utc_time: str, days: list[str]) -> None:
    """Five emails sent at 08:00 UTC on ``days`` and opened at ``utc_time`` the same day."""
    plant_emails(customer, [(ts(f"{d}T08:00:00"), ts(f"{d}T{utc_time}"), None) for d in days])


NOVEMBER = ["2026-11-02", "2026-11-04", "2026-11-06", "2026-11-09", "2026-11-11"]
SUMMER = ["2026-08-03", "2026-08-10", "2026-08-17", "2026-09-07", "2026-09-14"]


def start_winback(shop) -> FlowRun:
    learn_send_times(shop.id, now=clock.now())
    assert scan(shop)["idle"] == 1
    (run,) = ShopScope(shop.id).all(FlowRun, FlowRun.flow_key == reactivation.KEY)
    return run


def winback_email(shop_id: int, step: int) -> Message | None:
    db.session.expire_all()
    return ShopScope(shop_id).first(
        Message, Message.flow_key == reactivation.KEY, Message.step == step
    )


def sent_at(shop_id: int, step: int) -> datetime | None:
    message = winback_email(shop_id, step)
    return message.sent_at if message is not None else None


def test_customer_who_opens_at_eight_pm_gets_each_email_at_eight_pm_local(
    winback_shop, ola, sim_clock, tick, mailbox
):
    """Learned in summer time (20:00 = 18:00 UTC), sent in winter time (20:00 = 19:00 UTC)."""
    opens_at(ola, "18:05:00", SUMMER)
    run = start_winback(winback_shop)

    tick(minutes=1)
    db.session.refresh(run)
    assert mailbox.received == []
    assert run.next_step_at == ts("2026-11-20T19:00:00")
    assert run.context["deferred"] == "best_time"
    tick(hours=8, minutes=58)  # 18:59 UTC: not yet
    assert mailbox.received == []
    tick(minutes=1)
    assert len(mailbox.received) == 1
    assert sent_at(winback_shop.id, 0) == ts("2026-11-20T19:00:00")
    first = winback_email(winback_shop.id, 0)
    assert first is not None and first.meta["best_time"] is True  # no fixed-delay send

    # The second email is due a week after the first's delay (27 Nov, 11:00 local): 20:00 too.
    tick(days=6, hours=15, minutes=1)
    assert len(mailbox.received) == 1
    tick(hours=8, minutes=59)
    assert len(mailbox.received) == 2
    assert sent_at(winback_shop.id, 1) == ts("2026-11-27T19:00:00")


def test_switched_off_the_email_goes_at_its_usual_time(winback_shop, ola, sim_clock, tick, mailbox):
    switch(winback_shop, email_1_best_time=False)
    opens_at(ola, "19:05:00", NOVEMBER)
    start_winback(winback_shop)

    tick(minutes=1)

    assert len(mailbox.received) == 1
    assert sent_at(winback_shop.id, 0) == START + timedelta(minutes=1)
    sent = winback_email(winback_shop.id, 0)
    assert sent is not None and "best_time" not in sent.meta


def test_customer_with_few_events_gets_the_shops_hour(
    winback_shop, ola, make_customer, sim_clock, tick, mailbox
):
    """Ola's one order (12:00 in July) is too little; the shop's readers open at 14:00."""
    for n in range(3):
        opens_at(make_customer(winback_shop, email=f"r{n}@example.com"), "13:15:00", NOVEMBER)
    start_winback(winback_shop)

    tick(minutes=1)
    assert mailbox.received == []
    tick(hours=2, minutes=59)  # 13:00 UTC, 14:00 in Warsaw
    assert len(mailbox.received) == 1
    assert sent_at(winback_shop.id, 0) == ts("2026-11-20T13:00:00")


@pytest.mark.parametrize(
    ("window_hours", "expected"),
    [
        (2, START + timedelta(minutes=1)),  # 20:00 is past 13:00 local: the usual time
        (9, ts("2026-11-20T19:00:00")),  # the window ends at 20:00 local, the hour just fits
    ],
)
def test_never_later_than_the_window_after_the_delay(
    winback_shop, ola, sim_clock, tick, mailbox, window_hours, expected
):
    switch(winback_shop, best_time_window_hours=window_hours)
    opens_at(ola, "19:05:00", NOVEMBER)
    start_winback(winback_shop)

    tick(minutes=1)
    tick(hours=8, minutes=59)

    assert len(mailbox.received) == 1
    assert sent_at(winback_shop.id, 0) == expected


@pytest.mark.parametrize(
    ("opens", "expected"),
    [
        ("22:05:00", ts("2026-11-20T19:00:00")),  # 23:00 is night: the evening's last hour
        ("05:05:00", ts("2026-11-21T07:00:00")),  # 06:00 is night: 08:00, when night ends
    ],
)
def test_a_preferred_hour_in_quiet_hours_becomes_the_nearest_hour_outside_them(
    winback_shop, ola, sim_clock, tick, mailbox, opens, expected
):
    opens_at(ola, opens, NOVEMBER)
    start_winback(winback_shop)

    for _ in range(24):
        tick(hours=1)

    assert len(mailbox.received) == 1
    assert sent_at(winback_shop.id, 0) == expected


@pytest.mark.parametrize(
    ("window_hours", "expected", "reason"),
    [
        # Capped until tomorrow 10:00 local; her 20:00 tomorrow is inside a 48 h window.
        (48, ts("2026-11-21T19:00:00"), "best_time"),
        # ...but not inside 24 h (tomorrow 11:00): the cap's end, then the usual time.
        (24, ts("2026-11-21T09:00:00"), "frequency_cap"),
    ],
)
def test_frequency_cap_is_honoured_and_the_hour_kept_inside_the_window(
    winback_shop, ola, sim_clock, tick, mailbox, window_hours, expected, reason
):
    switch(winback_shop, best_time_window_hours=window_hours)
    opens_at(ola, "19:05:00", NOVEMBER)
    # A cross-sell email (ranked above win-back) reached her an hour ago.
    plant_emails(ola, [(START - timedelta(hours=1), None, None)])
    run = start_winback(winback_shop)

    tick(minutes=1)
    db.session.refresh(run)
    assert run.context["deferred"] == reason
    tick(hours=8, minutes=59)  # her hour today (20:00 local): still capped
    assert mailbox.received == []
    for _ in range(24):
        tick(hours=1)

    assert len(mailbox.received) == 1
    assert sent_at(winback_shop.id, 0) == expected


def test_which_steps_offer_best_time():
    """Later emails where a few hours do not matter; never a cart's or a browse's reminders."""
    offered = {
        flow.key: [s.best_time_setting for s in flow.steps if s.best_time_setting]
        for flow in (
            abandoned_cart.FLOW,
            browse_abandonment.FLOW,
            cross_sell.FLOW,
            reactivation.FLOW,
            welcome.FLOW,
        )
    }
    assert offered == {
        "abandoned_cart": [],
        "browse_abandonment": [],
        "cross_sell": ["email_best_time"],
        "reactivation": ["email_1_best_time", "email_2_best_time"],
        "welcome": ["story_best_time", "bestsellers_best_time"],
    }
    for flow in (cross_sell.FLOW, reactivation.FLOW, welcome.FLOW):
        defaults = flow.defaults()
        assert defaults["best_time_window_hours"] == 24
        assert not any(defaults[key] for key in offered[flow.key])  # off until switched on
