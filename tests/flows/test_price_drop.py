"""Price-drop alerts end to end: views stored by the collector, the catalog writer seeing the
price fall, the alert job finding who watched, one email through a real SMTP server on a
simulated clock; consent, unsubscribes, purchases and orders stop it; once per 30 days."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from app.events import types as ev
from app.events.apply import apply
from app.events.catalog import upsert_products
from app.flows import abandoned_cart, price_drop, watchers
from app.flows.engine import clock
from app.flows.engine.settings import save_settings
from app.flows.watchers import sweep_catalog_changes
from app.models import (
    CatalogChange,
    FlowRun,
    ProductAlert,
    ShopScope,
    StorefrontEvent,
    db,
    utcnow,
)
from app.models.customers import Suppression
from app.pipeline import queues
from tests.support.alerts import (
    SHOPPER,
    catalog_update,
    html_of,
    run_watchers,
    switch,
    text_of,
    views,
)
from tests.support.flows import cart_payload
from tests.support.shopping import add_product


@pytest.fixture()
def drop_shop(flow_shop, customer):
    """The shirt at 200.00 (its pick: the socks); the alert on, no holdout."""
    add_product(
        flow_shop.id,
        "2001",
        title="Linen shirt",
        price="200.00",
        url="https://shop.example/p/2001",
        cross_sell_ids=("2006",),
    )
    add_product(flow_shop.id, "2006", title="Cotton socks", url="https://shop.example/p/2006")
    switch(flow_shop, price_drop.FLOW, holdout_percent=0)
    customer.locale = "en"
    db.session.commit()
    return flow_shop


def drop_to(shop, price: str) -> None:
    """The shop reports the shirt at a new price (everything else as before)."""
    catalog_update(
        shop,
        "2001",
        title="Linen shirt",
        price=price,
        url="https://shop.example/p/2001",
        cross_sell_ids=("2006",),
    )


def _runs(shop_id: int) -> list[FlowRun]:
    return ShopScope(shop_id).all(FlowRun, FlowRun.flow_key == price_drop.KEY)


def _drop_mail(mailbox) -> list[Any]:
    return [m for m in mailbox.received if "price has dropped" in m["Subject"]]


def order(order_id: str, product_id: str = "2001", who: str = SHOPPER) -> dict[str, Any]:
    now = clock.now().isoformat()
    return {
        "id": order_id,
        "customer": {"email": who},
        "items": [{"product_id": product_id, "quantity": 1, "price": "150.00"}],
        "total": "150.00",
        "currency": "PLN",
        "created_at": now,
        "updated_at": now,
    }


def test_shopper_who_viewed_a_product_gets_one_email_when_its_price_drops(
    drop_shop, sim_clock, run_jobs, tick, mailbox
):
    views(drop_shop, "2001", 30, 29)
    assert ShopScope(drop_shop.id).first(StorefrontEvent).price_seen == Decimal("200.00")
    drop_to(drop_shop, "150.00")
    assert run_watchers(run_jobs) >= 1
    tick(minutes=1)

    (mail,) = mailbox.received
    text, html = text_of(mail), html_of(mail)
    assert mail["To"] == SHOPPER and mail["Subject"] == "Ola, the price has dropped"
    assert "Cheaper than when you saw it:\n- Linen shirt · PLN200.00 → PLN150.00" in text
    assert "Picked for you:\n- Cotton socks" in text  # what goes with it
    assert "You were looking at" not in text  # only the blocks this email offers
    assert "https://shop.example/p/2001" not in text  # the product link is tracked
    assert "See it now: http://storeflow.test/t/c/" in text
    assert "PLN200.00" in html and "PLN150.00" in html
    (run,) = _runs(drop_shop.id)
    assert (run.state, run.end_reason) == ("completed", "sequence_finished")
    (alert,) = ShopScope(drop_shop.id).all(ProductAlert)
    assert (alert.product_id, alert.old_price, alert.new_price) == (
        "2001",
        Decimal("200.00"),
        Decimal("150.00"),
    )


def test_a_drop_smaller_than_the_setting_tells_nobody(
    drop_shop, sim_clock, run_jobs, tick, mailbox
):
    switch(drop_shop, price_drop.FLOW, min_drop_percent=30)
    views(drop_shop, "2001", 5)
    drop_to(drop_shop, "150.00")  # 25 % off
    run_watchers(run_jobs)
    tick(minutes=1)
    assert mailbox.received == [] and _runs(drop_shop.id) == []
    assert ShopScope(drop_shop.id).all(CatalogChange) == []  # not even noted


def test_shopper_who_saw_it_cheaper_than_the_old_price_is_not_told(
    drop_shop, sim_clock, run_jobs, tick, mailbox
):
    drop_to(drop_shop, "170.00")  # nobody watched yet
    run_watchers(run_jobs)
    views(drop_shop, "2001", 2)  # seen at 170.00
    drop_to(drop_shop, "200.00")  # up again
    drop_to(drop_shop, "160.00")  # 20 % below 200.00, but only 5.9 % below what they saw
    assert run_watchers(run_jobs) == 1  # the job ran, and found nobody to tell
    tick(minutes=1)
    assert mailbox.received == [] and ShopScope(drop_shop.id).all(ProductAlert) == []


def test_a_carted_product_counts_with_the_price_in_the_cart(
    drop_shop, sim_clock, shop_events, run_jobs, tick, mailbox
):
    switch(drop_shop, abandoned_cart.FLOW, holdout_percent=0)
    item = {"product_id": "2001", "quantity": 1, "price": "190.00", "title": "Linen shirt"}
    shop_events("cart/updated", cart_payload(email_address=SHOPPER, items=[item], locale="en"))
    drop_to(drop_shop, "150.00")
    run_watchers(run_jobs)
    tick(minutes=1)
    (mail,) = _drop_mail(mailbox)
    assert "Linen shirt · PLN190.00 → PLN150.00" in text_of(mail)


def sizes(shop, small: str, large: str) -> None:
    """The shirt in two sizes: S at ``small`` (the product's "from" price) and XL at ``large``."""
    catalog_update(
        shop,
        "2001",
        title="Linen shirt",
        offer=None,
        variants=(
            ev.ProductVariant(id="2001-S", title="S", price=Decimal(small)),
            ev.ProductVariant(id="2001-XL", title="XL", price=Decimal(large)),
        ),
        url="https://shop.example/p/2001",
        cross_sell_ids=("2006",),
    )


def test_a_viewed_variant_is_stored_with_its_own_price_not_the_from_price(drop_shop, sim_clock):
    sizes(drop_shop, "150.00", "200.00")
    views(drop_shop, "2001", 3, variant="2001-XL")
    views(drop_shop, "2001", 2)  # no size chosen: the product's price
    seen = ShopScope(drop_shop.id).all(StorefrontEvent)
    assert sorted((e.variant_id or "", e.price_seen) for e in seen) == [
        ("", Decimal("150.00")),
        ("2001-XL", Decimal("200.00")),
    ]


def test_a_drop_of_another_variant_tells_nobody_who_viewed_the_one_that_did_not_change(
    drop_shop, sim_clock, run_jobs, tick, mailbox
):
    sizes(drop_shop, "150.00", "200.00")
    views(drop_shop, "2001", 3, variant="2001-XL")
    sizes(drop_shop, "100.00", "200.00")  # the "from" price fell a third; XL did not move
    assert run_watchers(run_jobs) >= 1  # the job ran, and found nobody to tell
    assert ShopScope(drop_shop.id).all(CatalogChange)[-1].new_price == Decimal("100.00")
    tick(minutes=1)
    assert mailbox.received == [] and ShopScope(drop_shop.id).all(ProductAlert) == []


def test_the_viewer_of_a_variant_is_told_that_variants_price_before_and_after(
    drop_shop, sim_clock, run_jobs, tick, mailbox
):
    sizes(drop_shop, "150.00", "200.00")
    views(drop_shop, "2001", 3, variant="2001-XL")
    sizes(drop_shop, "100.00", "160.00")
    run_watchers(run_jobs)
    tick(minutes=1)
    (mail,) = _drop_mail(mailbox)
    assert "Linen shirt · PLN200.00 → PLN160.00" in text_of(mail)
    (alert,) = ShopScope(drop_shop.id).all(ProductAlert)
    assert (alert.variant_id, alert.old_price, alert.new_price) == (
        "2001-XL",
        Decimal("200.00"),
        Decimal("160.00"),
    )


def test_a_drop_of_only_the_viewed_variant_tells_its_viewer_though_the_from_price_stands(
    drop_shop, sim_clock, run_jobs, tick, mailbox
):
    sizes(drop_shop, "150.00", "200.00")
    views(drop_shop, "2001", 3, variant="2001-XL")
    sizes(drop_shop, "150.00", "160.00")  # only XL fell; the "from" price is still 150.00
    assert run_watchers(run_jobs) >= 1
    change = ShopScope(drop_shop.id).all(CatalogChange)[-1]
    assert (change.old_price, change.new_price) == (Decimal("200.00"), Decimal("160.00"))
    tick(minutes=1)
    (mail,) = _drop_mail(mailbox)
    assert "Linen shirt · PLN200.00 → PLN160.00" in text_of(mail)


def test_a_carted_variant_is_told_its_own_new_price_not_the_from_price(
    drop_shop, sim_clock, shop_events, run_jobs, tick, mailbox
):
    sizes(drop_shop, "150.00", "200.00")
    switch(drop_shop, abandoned_cart.FLOW, holdout_percent=0)
    item = {
        "product_id": "2001",
        "variant_id": "2001-XL",
        "quantity": 1,
        "price": "200.00",
        "title": "Linen shirt",
    }
    shop_events("cart/updated", cart_payload(email_address=SHOPPER, items=[item], locale="en"))
    sizes(drop_shop, "100.00", "170.00")
    run_watchers(run_jobs)
    tick(minutes=1)
    (mail,) = _drop_mail(mailbox)
    assert "Linen shirt · PLN200.00 → PLN170.00" in text_of(mail)


def test_flow_is_off_by_default_and_notes_nothing(
    flow_shop, customer, sim_clock, run_jobs, tick, mailbox
):
    add_product(flow_shop.id, "2001", title="Linen shirt", price="200.00")
    views(flow_shop, "2001", 3)
    catalog_update(flow_shop, "2001", title="Linen shirt", price="100.00")
    run_watchers(run_jobs)
    tick(minutes=1)
    assert mailbox.received == []
    assert ShopScope(flow_shop.id).all(CatalogChange) == []


def test_shopper_who_bought_it_after_viewing_is_not_told(
    drop_shop, sim_clock, shop_events, run_jobs, tick, mailbox
):
    views(drop_shop, "2001", 5)
    sim_clock.advance(hours=1)
    shop_events("order/created", order("o-1"))
    drop_to(drop_shop, "150.00")
    assert run_watchers(run_jobs) == 1  # the job ran, and found nobody to tell
    tick(minutes=1)
    assert mailbox.received == [] and _runs(drop_shop.id) == []


def test_views_older_than_the_window_do_not_count(drop_shop, sim_clock, run_jobs, tick, mailbox):
    switch(drop_shop, price_drop.FLOW, viewed_within_days=7)
    views(drop_shop, "2001", 8 * 24)
    drop_to(drop_shop, "150.00")
    assert run_watchers(run_jobs) == 1  # the job ran, and found nobody to tell
    tick(minutes=1)
    assert mailbox.received == []


def test_the_same_product_is_not_alerted_again_within_30_days(
    drop_shop, sim_clock, run_jobs, tick, mailbox
):
    views(drop_shop, "2001", 3)
    drop_to(drop_shop, "150.00")
    run_watchers(run_jobs)
    tick(minutes=1)
    assert len(mailbox.received) == 1
    sim_clock.advance(days=10)
    views(drop_shop, "2001", 3)
    drop_to(drop_shop, "120.00")
    run_watchers(run_jobs)
    tick(days=1)
    assert len(mailbox.received) == 1  # told 10 days ago
    sim_clock.advance(days=20)
    views(drop_shop, "2001", 3)
    drop_to(drop_shop, "100.00")
    run_watchers(run_jobs)
    tick(minutes=1)
    assert len(mailbox.received) == 2
    assert "PLN120.00 → PLN100.00" in text_of(mailbox.received[1])


def test_no_consent_or_an_unsubscribe_means_no_alert(
    drop_shop, sim_clock, run_jobs, tick, mailbox, make_customer
):
    make_customer(drop_shop, email="no@example.com", email_consent="denied")
    make_customer(drop_shop, email="gone@example.com")
    ShopScope(drop_shop.id).add(
        Suppression(channel="email", address="gone@example.com", reason="unsubscribe")
    )
    db.session.commit()
    views(drop_shop, "2001", 3, who="no@example.com")
    views(drop_shop, "2001", 3, who="gone@example.com")
    drop_to(drop_shop, "150.00")
    assert run_watchers(run_jobs) == 1  # the job ran, and found nobody to tell
    tick(minutes=1)
    assert mailbox.received == [] and _runs(drop_shop.id) == []


def test_consent_withdrawn_while_the_email_waits_stops_it(
    drop_shop, sim_clock, shop_events, run_jobs, tick, mailbox
):
    switch(drop_shop, price_drop.FLOW, email_delay_minutes=60)
    views(drop_shop, "2001", 3)
    drop_to(drop_shop, "150.00")
    run_watchers(run_jobs)
    apply(
        ev.CustomerUpdated(
            shop_id=drop_shop.id,
            customer=ev.Contact(email=SHOPPER, email_consent=False),
            updated_at=utcnow(),  # after the consent the customer fixture gave (real time)
        )
    )
    db.session.commit()
    tick(hours=2)
    assert mailbox.received == []
    (run,) = _runs(drop_shop.id)
    assert (run.state, run.end_reason) == ("cancelled", "consent_withdrawn")


def test_an_order_while_the_email_waits_stops_it(
    drop_shop, sim_clock, shop_events, run_jobs, tick, mailbox
):
    switch(drop_shop, price_drop.FLOW, email_delay_minutes=60)
    views(drop_shop, "2001", 3)
    drop_to(drop_shop, "150.00")
    run_watchers(run_jobs)
    sim_clock.advance(minutes=10)
    shop_events("order/created", order("o-2", product_id="2006"))
    tick(hours=2)
    assert mailbox.received == []
    (run,) = _runs(drop_shop.id)
    assert (run.state, run.end_reason) == ("cancelled", "order_placed")


def test_price_back_up_before_the_send_stops_the_run(drop_shop, sim_clock, run_jobs, tick, mailbox):
    switch(drop_shop, price_drop.FLOW, email_delay_minutes=60)
    views(drop_shop, "2001", 3)
    drop_to(drop_shop, "150.00")
    run_watchers(run_jobs)
    sim_clock.advance(minutes=10)
    drop_to(drop_shop, "210.00")
    tick(hours=2)
    assert mailbox.received == []
    (run,) = _runs(drop_shop.id)
    assert (run.state, run.end_reason) == ("cancelled", "nothing_to_show")


def test_holdout_shopper_is_enrolled_but_gets_no_email(
    drop_shop, sim_clock, make_customer, run_jobs, tick, mailbox
):
    switch(drop_shop, price_drop.FLOW, holdout_percent=50)
    for n in range(8):
        who = f"s{n}@example.com"
        make_customer(drop_shop, email=who)
        views(drop_shop, "2001", 3, who=who)
    drop_to(drop_shop, "150.00")
    run_watchers(run_jobs)
    tick(minutes=1)
    runs = _runs(drop_shop.id)
    held = [r for r in runs if r.held_out]
    assert len(runs) == 8 and 0 < len(held) < 8
    assert len(mailbox.received) == 8 - len(held)


@pytest.mark.parametrize(
    ("locale", "subject", "block"),
    [
        (
            "pl",
            "Ola, cena spadła",
            "Taniej niż ostatnio:\n- Linen shirt · 200,00\xa0zł → 150,00\xa0zł",
        ),
        ("ro", "Ola, prețul a scăzut", "Mai ieftin decât când l-ai văzut:\n- Linen shirt"),
        ("en", "Ola, the price has dropped", "Cheaper than when you saw it:\n- Linen shirt"),
    ],
)
def test_the_email_speaks_the_shoppers_language(
    drop_shop, customer, sim_clock, run_jobs, tick, mailbox, locale, subject, block
):
    customer.locale = locale
    db.session.commit()
    views(drop_shop, "2001", 3)
    drop_to(drop_shop, "150.00")
    run_watchers(run_jobs)
    tick(minutes=1)
    (mail,) = mailbox.received
    assert mail["Subject"] == subject
    assert block in text_of(mail)


def test_a_sync_of_many_products_queues_one_watcher_job(drop_shop, sim_clock):
    def batch(price: str, at: Any) -> list[ev.ProductChanged]:
        offer = ev.Offer(price=Decimal(price))
        return [
            ev.ProductChanged(
                shop_id=drop_shop.id,
                product_id=f"3{n:03}",
                title=f"P{n}",
                offer=offer,
                updated_at=at,
            )
            for n in range(40)
        ]

    upsert_products(drop_shop.id, batch("100.00", clock.now() - timedelta(days=1)))
    db.session.commit()
    assert queues.queue("flows").jobs == []  # new products are nobody's news
    upsert_products(drop_shop.id, batch("50.00", clock.now()))  # one sync batch, all halved
    db.session.commit()
    assert len(ShopScope(drop_shop.id).all(CatalogChange)) == 40
    (job,) = queues.queue("flows").jobs
    assert job.func_name == "app.flows.watchers.find_watchers" and job.args == (drop_shop.id,)


def test_alert_ranks_below_abandoned_cart_in_the_frequency_cap():
    assert price_drop.FLOW.rank > abandoned_cart.FLOW.rank


def test_switching_the_flow_off_cancels_waiting_alerts(
    drop_shop, sim_clock, run_jobs, tick, mailbox
):
    switch(drop_shop, price_drop.FLOW, email_delay_minutes=60)
    views(drop_shop, "2001", 3)
    drop_to(drop_shop, "150.00")
    run_watchers(run_jobs)
    save_settings(drop_shop.id, price_drop.FLOW, {}, enabled=False)
    db.session.commit()
    tick(hours=2)
    assert mailbox.received == []
    (run,) = _runs(drop_shop.id)
    assert run.end_reason == "flow_disabled"


def test_news_whose_job_redis_lost_is_found_again_by_the_sweep(
    drop_shop, sim_clock, redis_conn, run_jobs, tick, mailbox
):
    views(drop_shop, "2001", 3)
    drop_to(drop_shop, "150.00")
    redis_conn.flushdb()  # the queued find_watchers is gone
    assert run_watchers(run_jobs) == 0
    assert sweep_catalog_changes(utcnow()) == 0  # too fresh: its job may still be on its way
    assert sweep_catalog_changes(utcnow() + timedelta(minutes=6)) == 1
    assert run_watchers(run_jobs) == 1
    tick(minutes=1)
    (mail,) = mailbox.received
    assert "Linen shirt · PLN200.00 → PLN150.00" in text_of(mail)


def test_a_product_many_watched_starts_their_runs_a_batch_per_job(
    drop_shop, sim_clock, make_customer, run_jobs, tick, mailbox, monkeypatch
):
    monkeypatch.setattr(watchers, "ENROLL_BATCH", 3)
    for n in range(8):
        who = f"s{n}@example.com"
        make_customer(drop_shop, email=who)
        views(drop_shop, "2001", 3, who=who)
    drop_to(drop_shop, "150.00")
    assert run_watchers(run_jobs) == 3  # 3 + 3 + 2 shoppers: three jobs, one after another
    assert len(_runs(drop_shop.id)) == 8
    assert all(a.enrolled_at is not None for a in ShopScope(drop_shop.id).all(ProductAlert))
    tick(minutes=1)
    assert len(mailbox.received) == 8
