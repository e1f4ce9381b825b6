"""The engine: enrollment, the durable clock, stop rules, holdout, deferrals."""

from __future__ import annotations

from datetime import timedelta

from app.flows import abandoned_cart
from app.flows.engine.definition import Enrollment
from app.flows.engine.engine import enroll, is_held_out, start
from app.flows.engine.guards import quiet_hours_end
from app.flows.engine.settings import save_settings, settings_for
from app.models import FlowRun, Message, Order, ShopScope, Suppression, db
from tests.support.flows import START, cart_payload, order_payload


def _runs(shop_id: int) -> list[FlowRun]:
    return ShopScope(shop_id).all(FlowRun)


def test_cart_updates_restart_the_clock_and_never_duplicate_the_run(
    flow_shop, sim_clock, shop_events, tick
):
    shop_events("cart/updated", cart_payload())
    sim_clock.advance(minutes=30)
    shop_events("cart/updated", cart_payload())  # the shopper is still at it
    runs = _runs(flow_shop.id)
    assert len(runs) == 1
    assert runs[0].next_step_at == START + timedelta(minutes=90)
    assert tick(minutes=31) == 0  # one hour after the *first* update: not abandoned yet
    assert ShopScope(flow_shop.id).all(Message) == []
    assert len(_runs(flow_shop.id)) == 1


def test_cart_without_marketing_consent_or_contact_is_not_enrolled(flow_shop, shop_events):
    shop_events("cart/updated", cart_payload("c-1", consent=False))
    shop_events("cart/updated", cart_payload("c-2", email_address=None, consent=None))
    shop_events("cart/updated", cart_payload("c-3", items=[]))
    assert _runs(flow_shop.id) == []


def test_flow_switched_off_enrolls_nobody(shop, shop_events):
    shop_events("cart/updated", cart_payload())
    assert _runs(shop.id) == []


def test_emptied_cart_cancels_the_run(flow_shop, sim_clock, shop_events):
    shop_events("cart/updated", cart_payload())
    # An empty cart delivered late (older than what we hold) cancels nothing.
    shop_events("cart/updated", cart_payload(items=[], at=START - timedelta(minutes=5)))
    assert _runs(flow_shop.id)[0].state == "active"
    sim_clock.advance(minutes=5)
    shop_events("cart/updated", cart_payload(items=[]))
    (run,) = _runs(flow_shop.id)
    assert (run.state, run.end_reason) == ("cancelled", "cart_emptied")


def test_order_by_cart_key_or_by_email_stops_the_run(flow_shop, sim_clock, shop_events):
    shop_events("cart/updated", cart_payload("c-1"))
    shop_events("cart/updated", cart_payload("c-2", email_address="bob@example.com"))
    sim_clock.advance(minutes=10)
    shop_events("order/created", order_payload("o-1", "c-1", "other@example.com", "477.00"))
    # Bob bought from another device: a different cart, the same email.
    shop_events("order/created", order_payload("o-2", "c-9", "bob@example.com", "99.00"))
    states = {r.subject_key: (r.state, r.end_reason) for r in _runs(flow_shop.id)}
    assert states == {
        "cart:c-1": ("cancelled", "order_placed"),
        "cart:c-2": ("cancelled", "order_placed"),
    }


def test_step_rechecks_orders_at_send_time(flow_shop, sim_clock, shop_events, tick, mailbox):
    """An order that reached us without an event (e.g. a sync) still stops the reminder."""
    shop_events("cart/updated", cart_payload(at=START - timedelta(minutes=3)))
    (run,) = _runs(flow_shop.id)
    ShopScope(flow_shop.id).add(
        Order(
            platform_order_id="o-sync",
            email="ania@example.com",
            total=10,
            # Placed after the cart was left but before we heard of the cart (late webhook).
            placed_at=START - timedelta(minutes=1),
        )
    )
    db.session.commit()
    tick(minutes=61)
    db.session.refresh(run)
    assert (run.state, run.end_reason) == ("cancelled", "order_placed")
    assert ShopScope(flow_shop.id).all(Message) == []


def test_consent_withdrawn_after_enrollment_stops_the_run_at_send_time(
    flow_shop, sim_clock, shop_events, tick
):
    shop_events("cart/updated", cart_payload())
    sim_clock.advance(minutes=10)
    shop_events("cart/updated", cart_payload(consent=False))
    tick(minutes=120)
    (run,) = _runs(flow_shop.id)
    assert (run.state, run.end_reason) == ("cancelled", "consent_missing")
    assert ShopScope(flow_shop.id).all(Message) == []


def test_unsubscribed_shopper_gets_nothing(flow_shop, sim_clock, shop_events, tick):
    shop_events("cart/updated", cart_payload())
    ShopScope(flow_shop.id).add(
        Suppression(channel="email", address="ania@example.com", reason="unsubscribe")
    )
    db.session.commit()
    tick(minutes=61)
    (run,) = _runs(flow_shop.id)
    assert (run.state, run.end_reason) == ("cancelled", "unsubscribed")
    assert ShopScope(flow_shop.id).all(Message) == []


def test_holdout_is_a_deterministic_share_of_subjects(shop):
    subjects = [f"cart:{i}" for i in range(4000)]
    held = [s for s in subjects if is_held_out(shop.id, s, 5)]
    assert 150 < len(held) < 250  # about 5 %
    assert held == [s for s in subjects if is_held_out(shop.id, s, 5)]
    assert not any(is_held_out(shop.id, s, 0) for s in subjects)


def test_held_out_carts_get_no_message_and_are_counted(flow_shop, sim_clock, shop_events, tick):
    from app.insights.attribution import flow_results

    save_settings(flow_shop.id, abandoned_cart.FLOW, {"holdout_percent": 50})
    db.session.commit()
    keys = [f"c-{i}" for i in range(12)]
    held = {k for k in keys if is_held_out(flow_shop.id, f"cart:{k}", 50)}
    assert held and held != set(keys)
    for key in held:
        shop_events("cart/updated", cart_payload(key, email_address=f"{key}@example.com"))
    for _ in range(4):
        tick(hours=30)
    runs = _runs(flow_shop.id)
    assert all(r.held_out and r.state == "completed" for r in runs)
    assert ShopScope(flow_shop.id).all(Message) == []
    assert flow_results(flow_shop.id, "abandoned_cart")["held_out"]["enrolled"] == len(held)


def test_quiet_hours_in_the_shops_timezone(flow_shop):
    settings = settings_for(flow_shop.id, abandoned_cart.FLOW)
    # Europe/Warsaw is UTC+1 in November: 20:30 UTC is 21:30 there.
    evening = START.replace(hour=20, minute=30)
    assert quiet_hours_end(flow_shop, settings, evening) == START.replace(day=21, hour=7)
    early = START.replace(hour=5)  # 06:00 in Warsaw
    assert quiet_hours_end(flow_shop, settings, early) == START.replace(hour=7)
    assert quiet_hours_end(flow_shop, settings, START) is None  # 11:00 in Warsaw


def test_uninstalling_the_app_stops_every_run_of_the_shop(flow_shop, sim_clock, shop_events, tick):
    from app.events import types as ev
    from app.events.apply import apply

    shop_events("cart/updated", cart_payload("c-1"))
    shop_events("cart/updated", cart_payload("c-2", email_address="bob@example.com"))
    apply(ev.AppUninstalled(shop_id=flow_shop.id))
    db.session.commit()
    states = [(r.state, r.end_reason) for r in _runs(flow_shop.id)]
    assert states == [("cancelled", "shop_uninstalled")] * 2
    assert tick(minutes=61) == 0
    assert ShopScope(flow_shop.id).all(Message) == []


def test_guest_cart_is_enrolled_once_the_checkout_captures_a_consenting_email(
    flow_shop, sim_clock, shop_events
):
    from app.events import types as ev
    from app.events.apply import apply

    shop_events("cart/updated", cart_payload(email_address=None, consent=None))
    assert _runs(flow_shop.id) == []
    sim_clock.advance(minutes=3)
    contact = ev.Contact(email="guest@example.com", email_consent=True)
    apply(
        ev.CheckoutContact(
            shop_id=flow_shop.id, cart_key="c-1", customer=contact, updated_at=sim_clock.now()
        )
    )
    db.session.commit()
    (run,) = _runs(flow_shop.id)
    assert run.context["email"] == "guest@example.com"
    assert run.next_step_at == sim_clock.now() + timedelta(minutes=60)


def test_consent_withdrawn_on_the_platform_cancels_the_shoppers_runs(
    flow_shop, sim_clock, shop_events
):
    from app.events import types as ev
    from app.events.apply import apply

    shop_events("cart/updated", cart_payload())

    def withdraw(at):
        contact = ev.Contact(email="Ania@Example.com", email_consent=False)
        apply(ev.CustomerUpdated(shop_id=flow_shop.id, customer=contact, updated_at=at))
        db.session.commit()
        (run,) = _runs(flow_shop.id)
        return run.state, run.end_reason

    # An update older than the consent we hold changes nothing...
    assert withdraw(START - timedelta(days=1)) == ("active", None)
    # ...a newer one cancels the run.
    assert withdraw(START + timedelta(minutes=5)) == ("cancelled", "consent_withdrawn")


def test_a_cart_that_had_all_its_reminders_is_not_reminded_again_for_two_weeks(
    flow_shop, sim_clock, shop_events, tick, mailbox
):
    shop_events("cart/updated", cart_payload())
    for _ in range(4):
        tick(hours=24)
    assert len(mailbox.received) == 3
    shop_events("cart/updated", cart_payload())  # the shopper fiddles with the same cart
    assert [r.state for r in _runs(flow_shop.id)] == ["completed"]
    sim_clock.advance(days=14)
    shop_events("cart/updated", cart_payload())  # two weeks on, it is a new story
    assert sorted(r.state for r in _runs(flow_shop.id)) == ["active", "completed"]


def test_a_subject_whose_run_the_session_just_ended_starts_a_new_one(flow_shop, sim_clock):
    flow = abandoned_cart.FLOW
    settings = settings_for(flow_shop.id, flow)
    enrollment = Enrollment("cart:c-9", None, sim_clock.now(), {"cart_key": "c-9"})
    first = enroll(flow_shop.id, flow, enrollment, settings)
    first.state, first.end_reason = "converted", "order_placed"  # not flushed yet

    second = start(flow_shop.id, flow, enrollment, settings)
    db.session.commit()

    assert second != first.id
    runs = ShopScope(flow_shop.id).all(FlowRun, FlowRun.subject_key == "cart:c-9")
    assert sorted((run.id, run.state) for run in runs) == [
        (first.id, "converted"),
        (second, "active"),
    ]
