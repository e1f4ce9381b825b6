"""Back-in-stock alerts end to end: a shopper views a sold-out product, the catalog writer sees
it come back, the alert job finds who watched, one email through a real SMTP server on a
simulated clock; consent, unsubscribes, purchases and orders stop it; once per 30 days."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from app.events import types as ev
from app.events.apply import apply
from app.flows import abandoned_cart, back_in_stock
from app.flows.engine import clock
from app.models import CatalogChange, FlowRun, ProductAlert, ShopScope, db, utcnow
from app.models.customers import Suppression
from tests.support.alerts import (
    SHOPPER,
    catalog_update,
    html_of,
    run_watchers,
    switch,
    text_of,
    views,
)
from tests.support.shopping import add_product


def stock(shop, in_stock: bool) -> None:
    """The shop reports the boots sold out or back (everything else as before)."""
    catalog_update(
        shop,
        "2002",
        title="Leather boots",
        price="350.00",
        url="https://shop.example/p/2002",
        cross_sell_ids=("2006",),
        in_stock=in_stock,
    )


@pytest.fixture()
def restock_shop(flow_shop, customer, sim_clock):
    """Boots sold out (their pick: the socks); the alert on, no holdout."""
    add_product(flow_shop.id, "2006", title="Cotton socks", url="https://shop.example/p/2006")
    stock(flow_shop, True)
    stock(flow_shop, False)
    switch(flow_shop, back_in_stock.FLOW, holdout_percent=0)
    customer.locale = "en"
    db.session.commit()
    return flow_shop


def _runs(shop_id: int) -> list[FlowRun]:
    return ShopScope(shop_id).all(FlowRun, FlowRun.flow_key == back_in_stock.KEY)


def order(order_id: str, product_id: str) -> dict[str, Any]:
    now = clock.now().isoformat()
    return {
        "id": order_id,
        "customer": {"email": SHOPPER},
        "items": [{"product_id": product_id, "quantity": 1, "price": "350.00"}],
        "total": "350.00",
        "currency": "PLN",
        "created_at": now,
        "updated_at": now,
    }


def test_shopper_who_viewed_a_sold_out_product_gets_one_email_when_it_is_back(
    restock_shop, sim_clock, run_jobs, tick, mailbox
):
    views(restock_shop, "2002", 30, 29)
    stock(restock_shop, True)
    assert run_watchers(run_jobs) >= 1
    tick(minutes=1)

    (mail,) = mailbox.received
    text = text_of(mail)
    assert mail["To"] == SHOPPER and mail["Subject"] == "Ola, it is back in stock"
    assert "Back in stock:\n- Leather boots · PLN350.00 · http://storeflow.test/t/c/" in text
    assert "Picked for you:\n- Cotton socks" in text
    assert "See it now: http://storeflow.test/t/c/" in text
    assert "Leather boots" in html_of(mail)
    (run,) = _runs(restock_shop.id)
    assert (run.state, run.end_reason) == ("completed", "sequence_finished")
    (alert,) = ShopScope(restock_shop.id).all(ProductAlert)
    assert (alert.product_id, alert.kind) == ("2002", "back_in_stock")


def test_the_viewer_of_a_variant_is_shown_that_variants_price_when_it_is_back(
    restock_shop, sim_clock, run_jobs, tick, mailbox
):
    def sizes(in_stock: bool) -> None:
        catalog_update(
            restock_shop,
            "2002",
            title="Leather boots",
            offer=None,
            variants=tuple(
                ev.ProductVariant(id=vid, price=Decimal(price), stock=5 if in_stock else 0)
                for vid, price in (("2002-38", "350.00"), ("2002-46", "420.00"))
            ),
            url="https://shop.example/p/2002",
            cross_sell_ids=("2006",),
        )

    sizes(in_stock=False)
    views(restock_shop, "2002", 5, variant="2002-46")
    sizes(in_stock=True)
    run_watchers(run_jobs)
    tick(minutes=1)
    (mail,) = mailbox.received
    assert "Back in stock:\n- Leather boots · PLN420.00 · http://storeflow.test/t/c/" in text_of(
        mail
    )
    (alert,) = ShopScope(restock_shop.id).all(ProductAlert)
    assert alert.variant_id == "2002-46"


def test_a_price_change_of_a_product_in_stock_is_not_a_restock(
    restock_shop, sim_clock, run_jobs, tick, mailbox
):
    stock(restock_shop, True)
    run_watchers(run_jobs)
    views(restock_shop, "2002", 3)
    catalog_update(restock_shop, "2002", title="Leather boots", price="340.00")
    run_watchers(run_jobs)
    tick(minutes=1)
    assert mailbox.received == []


def test_the_same_product_is_not_announced_again_within_30_days(
    restock_shop, sim_clock, run_jobs, tick, mailbox
):
    views(restock_shop, "2002", 3)
    stock(restock_shop, True)
    run_watchers(run_jobs)
    tick(minutes=1)
    sim_clock.advance(days=10)
    stock(restock_shop, False)
    views(restock_shop, "2002", 3)
    stock(restock_shop, True)
    assert run_watchers(run_jobs) == 1  # the job ran, and found nobody to tell
    tick(days=1)
    assert len(mailbox.received) == 1
    sim_clock.advance(days=21)
    stock(restock_shop, False)
    views(restock_shop, "2002", 3)
    stock(restock_shop, True)
    run_watchers(run_jobs)
    tick(minutes=1)
    assert len(mailbox.received) == 2


def test_no_consent_or_an_unsubscribe_means_no_alert(
    restock_shop, sim_clock, make_customer, run_jobs, tick, mailbox
):
    make_customer(restock_shop, email="no@example.com", email_consent="denied")
    make_customer(restock_shop, email="gone@example.com")
    ShopScope(restock_shop.id).add(
        Suppression(channel="email", address="gone@example.com", reason="unsubscribe")
    )
    db.session.commit()
    views(restock_shop, "2002", 3, who="no@example.com")
    views(restock_shop, "2002", 3, who="gone@example.com")
    stock(restock_shop, True)
    assert run_watchers(run_jobs) == 1  # the job ran, and found nobody to tell
    tick(minutes=1)
    assert mailbox.received == [] and _runs(restock_shop.id) == []


def test_unsubscribe_while_the_email_waits_stops_it(
    restock_shop, sim_clock, run_jobs, tick, mailbox
):
    switch(restock_shop, back_in_stock.FLOW, email_delay_minutes=60)
    views(restock_shop, "2002", 3)
    stock(restock_shop, True)
    run_watchers(run_jobs)
    ShopScope(restock_shop.id).add(
        Suppression(channel="email", address=SHOPPER, reason="unsubscribe")
    )
    db.session.commit()
    tick(hours=2)
    assert mailbox.received == []
    (run,) = _runs(restock_shop.id)
    assert (run.state, run.end_reason) == ("cancelled", "unsubscribed")


def test_consent_withdrawn_while_the_email_waits_stops_it(
    restock_shop, sim_clock, run_jobs, tick, mailbox
):
    switch(restock_shop, back_in_stock.FLOW, email_delay_minutes=60)
    views(restock_shop, "2002", 3)
    stock(restock_shop, True)
    run_watchers(run_jobs)
    apply(
        ev.CustomerUpdated(
            shop_id=restock_shop.id,
            customer=ev.Contact(email=SHOPPER, email_consent=False),
            updated_at=utcnow(),  # after the consent the customer fixture gave (real time)
        )
    )
    db.session.commit()
    tick(hours=2)
    assert mailbox.received == []
    (run,) = _runs(restock_shop.id)
    assert (run.state, run.end_reason) == ("cancelled", "consent_withdrawn")


def test_an_order_while_the_email_waits_stops_it(
    restock_shop, sim_clock, shop_events, run_jobs, tick, mailbox
):
    switch(restock_shop, back_in_stock.FLOW, email_delay_minutes=60)
    views(restock_shop, "2002", 3)
    stock(restock_shop, True)
    run_watchers(run_jobs)
    sim_clock.advance(minutes=10)
    shop_events("order/created", order("o-1", "2002"))
    tick(hours=2)
    assert mailbox.received == []
    (run,) = _runs(restock_shop.id)
    assert (run.state, run.end_reason) == ("cancelled", "order_placed")


def test_sold_out_again_before_the_send_stops_the_run(
    restock_shop, sim_clock, run_jobs, tick, mailbox
):
    switch(restock_shop, back_in_stock.FLOW, email_delay_minutes=60)
    views(restock_shop, "2002", 3)
    stock(restock_shop, True)
    run_watchers(run_jobs)
    stock(restock_shop, False)
    tick(hours=2)
    assert mailbox.received == []
    (run,) = _runs(restock_shop.id)
    assert (run.state, run.end_reason) == ("cancelled", "nothing_to_show")


def test_holdout_shopper_is_enrolled_but_gets_no_email(
    restock_shop, sim_clock, make_customer, run_jobs, tick, mailbox
):
    switch(restock_shop, back_in_stock.FLOW, holdout_percent=50)
    for n in range(8):
        who = f"s{n}@example.com"
        make_customer(restock_shop, email=who)
        views(restock_shop, "2002", 3, who=who)
    stock(restock_shop, True)
    run_watchers(run_jobs)
    tick(minutes=1)
    runs = _runs(restock_shop.id)
    held = [r for r in runs if r.held_out]
    assert len(runs) == 8 and 0 < len(held) < 8
    assert len(mailbox.received) == 8 - len(held)


@pytest.mark.parametrize(
    ("locale", "subject", "block"),
    [
        ("pl", "Ola, znów jest dostępne", "Znów dostępne:\n- Leather boots · 350,00\xa0zł"),
        ("ro", "Ola, este din nou în stoc", "Din nou în stoc:\n- Leather boots"),
        ("en", "Ola, it is back in stock", "Back in stock:\n- Leather boots · PLN350.00"),
    ],
)
def test_the_email_speaks_the_shoppers_language(
    restock_shop, customer, sim_clock, run_jobs, tick, mailbox, locale, subject, block
):
    customer.locale = locale
    db.session.commit()
    views(restock_shop, "2002", 3)
    stock(restock_shop, True)
    run_watchers(run_jobs)
    tick(minutes=1)
    (mail,) = mailbox.received
    assert mail["Subject"] == subject
    assert block in text_of(mail)


def test_flow_is_off_by_default(flow_shop, customer, sim_clock, run_jobs, tick, mailbox):
    stock(flow_shop, False)
    views(flow_shop, "2002", 3)
    stock(flow_shop, True)
    run_watchers(run_jobs)
    tick(minutes=1)
    assert mailbox.received == [] and ShopScope(flow_shop.id).all(CatalogChange) == []


def test_alert_ranks_below_abandoned_cart_in_the_frequency_cap():
    assert back_in_stock.FLOW.rank > abandoned_cart.FLOW.rank
