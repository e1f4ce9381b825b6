"""Browse abandonment end to end: stored views, the browse scan, one email through a real SMTP
server on a simulated clock; carts, orders and consent stop it; once per product per 30 days."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from email.message import EmailMessage
from typing import Any

import pytest

from app.emails.tracking import identity_token
from app.events import types as ev
from app.flows import abandoned_cart, browse_abandonment
from app.flows.engine import clock, guards
from app.flows.engine.engine import ranks
from app.flows.engine.settings import save_settings, settings_for
from app.insights.browsing import scan_browsing
from app.models import BrowseEmission, Customer, FlowRun, Message, ShopScope, db
from app.pipeline.storefront import Batch, Identity, store_batch
from tests.support.flows import cart_payload
from tests.support.shopping import add_product

SHOPPER = "ola@example.com"


@pytest.fixture()
def browse_shop(flow_shop, customer):
    """The shirt (whose pick is the socks) and a jacket on sale; the flow on, no holdout."""
    add_product(flow_shop.id, "2001", title="Linen shirt", cross_sell_ids=("2006",))
    add_product(flow_shop.id, "2006", title="Cotton socks", url="https://shop.example/p/2006")
    sale = ev.Offer(price=Decimal("80.00"), compare_at_price=Decimal("120.00"))
    add_product(flow_shop.id, "2008", title="Denim jacket", offer=sale)
    switch(flow_shop, holdout_percent=0)
    customer.locale = "en"
    db.session.commit()
    return flow_shop


def switch(shop, **settings: Any) -> None:
    save_settings(shop.id, browse_abandonment.FLOW, settings, enabled=True)
    db.session.commit()


def views(shop, product_id: str, *hours_ago: float, who: str | None = SHOPPER) -> None:
    """Views stored as the collector stores them, by a visitor who signed in as ``who``."""
    rows = tuple(
        {
            "kind": "product_viewed",
            "product_id": product_id,
            "variant_id": None,
            "detail": None,
            "occurred_at": clock.now() - timedelta(hours=h),
        }
        for h in hours_ago
    )
    identity = signed_in(shop, who) if who else None
    store_batch(shop, Batch(f"visitor-{who or 'anon'}", identity, rows))
    db.session.commit()


def signed_in(shop, email: str) -> Identity:
    """The visitor proved to be this customer (our email link's identity token)."""
    customer = ShopScope(shop.id).first(Customer, Customer.email == email)
    assert customer is not None
    return Identity(token=identity_token(shop.id, customer.id))


def scan(shop) -> int:
    return scan_browsing(shop.id, now=clock.now())


def _text(mail: EmailMessage) -> str:
    part = mail.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def _browse_mail(mailbox) -> list[EmailMessage]:
    """Only this flow's mail (a cart also starts the abandoned-cart reminders)."""
    return [m for m in mailbox.received if "thinking about it" in m["Subject"]]


def _runs(shop_id: int) -> list[FlowRun]:
    return ShopScope(shop_id).all(FlowRun, FlowRun.flow_key == browse_abandonment.KEY)


def test_shopper_who_viewed_a_product_three_times_gets_one_email_with_it(
    browse_shop, sim_clock, tick, mailbox
):
    views(browse_shop, "2001", 6, 5.5, 5)
    assert scan(browse_shop) == 1
    tick(minutes=1)

    (mail,) = mailbox.received
    text = _text(mail)
    assert mail["To"] == SHOPPER and mail["Subject"] == "Ola, still thinking about it?"
    assert "You were looking at:\n- Linen shirt" in text
    assert "Picked for you:\n- Cotton socks" in text  # what goes with what they viewed
    assert "Now at a lower price" not in text  # an empty block is left out
    (run,) = _runs(browse_shop.id)
    assert (run.state, run.end_reason) == ("completed", "sequence_finished")
    assert scan(browse_shop) == 0  # reported once


def test_a_viewed_product_now_on_sale_gets_the_lower_price_block(
    browse_shop, sim_clock, tick, mailbox
):
    views(browse_shop, "2008", 6, 5)
    views(browse_shop, "2001", 7)  # once: not what the email is about, but seen
    assert scan(browse_shop) == 1
    tick(minutes=1)
    text = _text(mailbox.received[0])
    assert "You were looking at:\n- Denim jacket · PLN120.00 → PLN80.00" in text
    assert "Now at a lower price:\n- Denim jacket" in text


def test_one_view_or_views_still_going_on_are_not_browse_abandonment(
    browse_shop, sim_clock, tick, mailbox
):
    views(browse_shop, "2001", 6)  # once
    views(browse_shop, "2006", 2, 1)  # twice, but the last view is only an hour old
    assert scan(browse_shop) == 0
    sim_clock.advance(hours=3)
    assert scan(browse_shop) == 1
    tick(minutes=1)
    assert "You were looking at:\n- Cotton socks" in _text(mailbox.received[0])


def test_anonymous_views_join_the_customer_once_they_sign_in(browse_shop, sim_clock):
    views(browse_shop, "2001", 6, 5, who=None)
    assert scan(browse_shop) == 0
    store_batch(browse_shop, Batch("visitor-anon", signed_in(browse_shop, SHOPPER), ()))
    db.session.commit()
    assert scan(browse_shop) == 1


def test_a_cart_after_the_views_means_no_email(browse_shop, sim_clock, shop_events, tick, mailbox):
    views(browse_shop, "2001", 6, 5)
    shop_events("cart/updated", cart_payload(email_address=SHOPPER))
    assert scan(browse_shop) == 0
    tick(minutes=1)
    assert _browse_mail(mailbox) == [] and _runs(browse_shop.id) == []


def test_a_cart_or_an_order_while_the_email_waits_stops_it(
    browse_shop, sim_clock, shop_events, tick, mailbox
):
    switch(browse_shop, email_delay_minutes=60)
    views(browse_shop, "2001", 6, 5)
    assert scan(browse_shop) == 1
    tick(minutes=10)
    shop_events("cart/updated", cart_payload(email_address=SHOPPER))
    tick(hours=2)
    assert _browse_mail(mailbox) == []
    (run,) = _runs(browse_shop.id)
    assert (run.state, run.end_reason) == ("cancelled", "cart_started")


def test_an_order_while_the_email_waits_stops_it(
    browse_shop, sim_clock, shop_events, tick, mailbox
):
    switch(browse_shop, email_delay_minutes=60)
    views(browse_shop, "2001", 6, 5)
    assert scan(browse_shop) == 1
    now = clock.now().isoformat()
    order = {
        "id": "o-1",
        "customer": {"email": SHOPPER},
        "items": [{"product_id": "2001", "quantity": 1, "price": "50.00"}],
        "total": "50.00",
        "currency": "PLN",
        "created_at": now,
        "updated_at": now,
    }
    shop_events("order/created", order)
    tick(hours=2)
    assert mailbox.received == []
    (run,) = _runs(browse_shop.id)
    assert (run.state, run.end_reason) == ("cancelled", "order_placed")


def test_same_product_is_not_emailed_about_again_within_30_days(
    browse_shop, sim_clock, tick, mailbox
):
    views(browse_shop, "2001", 6, 5)
    assert scan(browse_shop) == 1
    tick(minutes=1)
    sim_clock.advance(days=10)
    views(browse_shop, "2001", 6, 5)
    assert scan(browse_shop) == 0
    sim_clock.advance(days=21)
    views(browse_shop, "2001", 6, 5)
    assert scan(browse_shop) == 1
    tick(minutes=1)
    assert len(mailbox.received) == 2
    assert len(ShopScope(browse_shop.id).all(BrowseEmission)) == 2


def test_customer_without_marketing_consent_is_not_reported(
    browse_shop, sim_clock, customer, tick, mailbox
):
    customer.email_consent = "denied"
    db.session.commit()
    views(browse_shop, "2001", 6, 5)
    assert scan(browse_shop) == 0
    assert ShopScope(browse_shop.id).all(BrowseEmission) == []


def test_flow_switched_off_scans_nothing(browse_shop, sim_clock):
    save_settings(browse_shop.id, browse_abandonment.FLOW, {}, enabled=False)
    db.session.commit()
    views(browse_shop, "2001", 6, 5)
    assert scan(browse_shop) == 0
    switch(browse_shop)
    assert scan(browse_shop) == 1


def test_holdout_shopper_is_enrolled_but_gets_no_email(
    browse_shop, sim_clock, make_customer, tick, mailbox
):
    switch(browse_shop, holdout_percent=50)
    for n in range(8):
        who = f"s{n}@example.com"
        make_customer(browse_shop, email=who)
        views(browse_shop, "2001", 6, 5, who=who)
    assert scan(browse_shop) == 8
    tick(minutes=1)
    runs = _runs(browse_shop.id)
    held = [r for r in runs if r.held_out]
    assert 0 < len(held) < 8
    assert len(mailbox.received) == 8 - len(held)


def test_browse_email_ranks_below_abandoned_cart_in_the_frequency_cap(
    browse_shop, customer, sim_clock
):
    assert browse_abandonment.FLOW.rank > abandoned_cart.FLOW.rank
    settings = settings_for(browse_shop.id, browse_abandonment.FLOW)
    scope = ShopScope(browse_shop.id)
    cart_run = scope.add(
        FlowRun(
            flow_key=abandoned_cart.KEY,
            subject_key="cart:c-1",
            customer_id=customer.id,
            context={"email": SHOPPER},
            started_at=clock.now(),
        )
    )
    browse_run = scope.add(
        FlowRun(
            flow_key=browse_abandonment.KEY,
            subject_key=f"customer:{customer.id}",
            customer_id=customer.id,
            context={"email": SHOPPER},
            started_at=clock.now(),
        )
    )
    db.session.flush()
    sent = scope.add(
        Message(
            run_id=cart_run.id,
            step=0,
            channel="email",
            customer_id=customer.id,
            recipient=SHOPPER,
            status="sent",
            idempotency_key="k-cart",
            sent_at=clock.now() - timedelta(hours=1),
        )
    )
    db.session.flush()
    # A cart reminder an hour ago holds the browse email back...
    assert guards.frequency_cap(
        browse_shop, browse_abandonment.FLOW, browse_run, settings, clock.now(), ranks()
    )
    # ...but a browse email an hour ago never holds a cart reminder back.
    sent.run_id = browse_run.id
    db.session.flush()
    cart_settings = settings_for(browse_shop.id, abandoned_cart.FLOW)
    assert (
        guards.frequency_cap(
            browse_shop, abandoned_cart.FLOW, cart_run, cart_settings, clock.now(), ranks()
        )
        is None
    )
