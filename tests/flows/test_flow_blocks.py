"""Product blocks in every flow's email: each flow's compose picks its blocks (the merchant may
switch them on or off on the flow's page), a block with products shows under its heading, and
an empty one is left out with its heading. Rendered as the shopper gets them (text part)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from app.emails.rendering import render_email
from app.flows import abandoned_cart, cross_sell, reactivation, welcome
from app.flows.engine import clock
from app.flows.engine.definition import Flow
from app.flows.engine.settings import save_settings, settings_for
from app.models import FlowRun, Message, Order, ShopScope, db
from tests.support.alerts import views
from tests.support.shopping import add_product, buy

_SUBJECTS = itertools.count(1)
HEADINGS = (
    "You were looking at",
    "You looked at these before",
    "You bought",
    "Picked for you",
    "Now at a lower price",
    "Our bestsellers",
)


@pytest.fixture()
def catalog(flow_shop, customer, sim_clock):
    """The shirt (its pick: the socks), the socks, and a hat the shopper may view at 100.00."""
    add_product(flow_shop.id, "2001", title="Linen shirt", cross_sell_ids=("2006",))
    add_product(flow_shop.id, "2006", title="Cotton socks")
    add_product(flow_shop.id, "2003", title="Wool hat", price="100.00")
    customer.platform_customer_id = "ola"  # the one ``buy`` orders for
    db.session.commit()
    return flow_shop


def hat_viewed_then_cheaper(shop) -> None:
    views(shop, "2003", 5)  # seen at 100.00
    add_product(shop.id, "2003", title="Wool hat", price="80.00", updated_at=clock.now())
    db.session.commit()


def email_text(shop, flow: Flow, step: int, customer, **context: Any) -> str:
    """The step's email as composed for the customer's run, in English."""
    run = ShopScope(shop.id).add(
        FlowRun(
            flow_key=flow.key,
            subject_key=f"test:{next(_SUBJECTS)}",
            customer_id=customer.id,
            step=step,
            context={"email": customer.email, **context},
            started_at=clock.now(),
        )
    )
    db.session.flush()
    message = Message(shop_id=shop.id, run_id=run.id, step=step, recipient=customer.email)
    settings = settings_for(shop.id, flow)
    composed = flow.compose(shop, run, flow.steps[step], message, settings, clock.now())
    composed["unsubscribe_url"] = "https://storeflow.test/u/x"
    return render_email(flow.steps[step].template, composed, "en").text


def headings(text: str) -> list[str]:
    """The block headings of the email, in the order it shows them."""
    return sorted((h for h in HEADINGS if f"{h}:" in text), key=lambda h: text.index(f"{h}:"))


def test_cart_reminder_shows_what_goes_with_the_cart_and_what_they_last_viewed(
    catalog, customer, make_cart
):
    make_cart(items=[{"product_id": "2001", "title": "Linen shirt", "unit_price": "50.00"}])
    views(catalog, "2003", 1)
    text = email_text(catalog, abandoned_cart.FLOW, 0, customer, cart_key="c-1")
    assert headings(text) == ["Picked for you", "You were looking at"]
    assert "Picked for you:\n- Cotton socks" in text
    assert "You were looking at:\n- Wool hat" in text
    assert text.count("Linen shirt") == 1  # the cart's line, never again in a block


def test_cart_reminder_without_views_or_picks_has_no_block_heading(catalog, customer, make_cart):
    make_cart(items=[{"product_id": "2006", "title": "Cotton socks", "unit_price": "50.00"}])
    text = email_text(catalog, abandoned_cart.FLOW, 0, customer, cart_key="c-1")
    assert "Cotton socks" in text and headings(text) == []


def test_merchant_switches_a_cart_reminder_block_off(catalog, customer, make_cart):
    save_settings(catalog.id, abandoned_cart.FLOW, {"block_last_viewed": False})
    make_cart(items=[{"product_id": "2001", "title": "Linen shirt", "unit_price": "50.00"}])
    views(catalog, "2003", 1)
    text = email_text(catalog, abandoned_cart.FLOW, 0, customer, cart_key="c-1")
    assert headings(text) == ["Picked for you"]


def test_cross_sell_adds_the_blocks_the_merchant_chose(catalog, customer):
    order_id = buy(catalog.id, "ola", ["2001"], days_ago=1)
    hat_viewed_then_cheaper(catalog)
    assert ShopScope(catalog.id).get(Order, order_id).customer_id == customer.id
    plain = email_text(catalog, cross_sell.FLOW, 0, customer, order_id=order_id)
    assert "Cotton socks" in plain and headings(plain) == []  # blocks are off by default
    save_settings(
        catalog.id, cross_sell.FLOW, {"block_last_viewed": True, "block_discounted": True}
    )
    text = email_text(catalog, cross_sell.FLOW, 0, customer, order_id=order_id)
    assert "You were looking at:\n- Wool hat" in text
    # The order's currency (``buy`` pays in euros); the price struck is the one they saw.
    assert "Now at a lower price:\n- Wool hat · €100.00 → €80.00" in text


def test_win_back_shows_bought_cheaper_now_and_picked_for_them(catalog, customer):
    buy(catalog.id, "ola", ["2001"], days_ago=120)
    hat_viewed_then_cheaper(catalog)
    text = email_text(catalog, reactivation.FLOW, 0, customer)
    assert headings(text) == ["You bought", "Now at a lower price", "Picked for you"]
    assert "You bought:\n- Linen shirt" in text
    assert "Now at a lower price:\n- Wool hat · PLN100.00 → PLN80.00" in text
    assert "Picked for you:\n- Cotton socks" in text


def test_win_back_leaves_out_what_it_has_nothing_for(catalog, customer):
    buy(catalog.id, "ola", ["2006"], days_ago=120)  # no pick goes with the socks, nothing viewed
    text = email_text(catalog, reactivation.FLOW, 0, customer)
    assert headings(text) == ["You bought"]


def test_third_welcome_email_shows_what_they_viewed_then_bestsellers(catalog, customer):
    for who in ("a", "b"):
        buy(catalog.id, who, ["2006"])
    views(catalog, "2003", 1)
    text = email_text(catalog, welcome.FLOW, 2, customer)
    assert headings(text) == ["You were looking at", "Our bestsellers"]
    assert "You were looking at:\n- Wool hat" in text
    assert "Our bestsellers:\n- Cotton socks" in text


def test_third_welcome_email_without_views_shows_only_bestsellers(catalog, customer):
    buy(catalog.id, "a", ["2006"])
    text = email_text(catalog, welcome.FLOW, 2, customer)
    assert headings(text) == ["Our bestsellers"]


def test_every_marketing_flow_with_products_lets_the_merchant_choose_blocks():
    for flow in (abandoned_cart.FLOW, cross_sell.FLOW, reactivation.FLOW, welcome.FLOW):
        assert any(s.key.startswith("block_") for s in flow.settings), flow.key
