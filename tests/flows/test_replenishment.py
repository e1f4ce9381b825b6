"""The replenishment reminder end to end: orders arrive as signed demo webhooks, the daily scan
compares each customer's own time since buying a product with the product's usual gap (the
merchant's, else the one learned from the shop's orders), and one email with the product and
its link goes through a real SMTP server on a simulated clock."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest

from app.flows import replenishment
from app.flows.engine import clock
from app.flows.engine.definition import SettingError
from app.flows.engine.settings import save_settings
from app.insights.recommendation_model import refresh_recommendations
from app.insights.replenishment import scan_replenishment
from app.models import FlowRun, LifecycleEmission, ShopScope, db
from tests.support.shopping import add_product

SHOPPER = "ola@example.com"
COFFEE = "4001"


@pytest.fixture()
def refill_shop(flow_shop, sim_clock):
    add_product(flow_shop.id, COFFEE, title="Coffee beans", url="https://shop.example/p/4001")
    add_product(flow_shop.id, "4002", title="Paper filters", url="https://shop.example/p/4002")
    add_product(flow_shop.id, "4003", title="Oak board", url="https://shop.example/p/4003")
    db.session.commit()
    return flow_shop


def switch(shop, **settings: Any) -> None:
    save_settings(shop.id, replenishment.FLOW, {"holdout_percent": 0, **settings}, enabled=True)
    db.session.commit()


@pytest.fixture()
def bought(shop_events):
    counter = iter(range(1, 10_000))

    def order(
        days_ago: float, products: tuple[str, ...] = (COFFEE,), who: str = "ola", **customer: Any
    ) -> None:
        placed = (clock.now() - timedelta(days=days_ago)).isoformat()
        body = {
            "id": f"o-{next(counter)}",
            "customer": {
                "id": f"c-{who}",
                "email": f"{who}@example.com",
                "first_name": who.capitalize(),
                "locale": "pl",
                "accepts_marketing": True,
                **customer,
            },
            "items": [{"product_id": p, "quantity": 1, "price": "30.00"} for p in products],
            "total": f"{30 * len(products)}.00",
            "paid": True,
            "created_at": placed,
            "updated_at": placed,
        }
        shop_events("order/paid", body)

    return order


def scan(shop) -> int:
    """What the daily ``rq cron`` job does for the shop."""
    return scan_replenishment(shop.id, now=clock.now())


def _text(mail: EmailMessage) -> str:
    part = mail.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def _runs(shop_id: int) -> list[FlowRun]:
    return ShopScope(shop_id).all(FlowRun, FlowRun.flow_key == replenishment.KEY)


def test_the_merchants_gap_reminds_once_with_the_product_and_its_link(
    refill_shop, bought, tick, mailbox
):
    switch(refill_shop, product_days={COFFEE: 30})
    bought(days_ago=29)
    assert scan(refill_shop) == 0  # 29 days: not yet
    tick(days=1)
    assert scan(refill_shop) == 1
    tick(minutes=1)

    (mail,) = mailbox.received
    assert mail["To"] == SHOPPER
    assert mail["Subject"] == "Kończą się zapasy? Czas je uzupełnić"
    text = _text(mail)
    assert "Ola, czas uzupełnić zapasy?" in text and "Czas uzupełnić zapasy" in text
    assert "Coffee beans" in text and "Oak board" not in text
    assert "/t/c/" in text  # the product's link, through our click tracking

    for _ in range(5):  # the same purchase cycle: never again
        tick(days=1)
        assert scan(refill_shop) == 0
    assert len(mailbox.received) == 1
    (found,) = ShopScope(refill_shop.id).all(LifecycleEmission)
    assert found.kind == "replenishment" and found.key.startswith(f"{COFFEE}@")


def test_a_new_purchase_starts_a_new_cycle(refill_shop, bought, tick, mailbox):
    switch(refill_shop, product_days={COFFEE: 30})
    bought(days_ago=31)
    scan(refill_shop)
    tick(minutes=1)
    tick(days=2)
    bought(days_ago=0)  # they bought it again
    tick(days=29)
    assert scan(refill_shop) == 0
    tick(days=1)
    assert scan(refill_shop) == 1
    tick(minutes=1)
    assert len(mailbox.received) == 2


def test_an_order_before_the_send_stops_the_reminder(refill_shop, bought, tick, mailbox):
    switch(refill_shop, product_days={COFFEE: 30}, email_delay_minutes=600)
    bought(days_ago=31)
    scan(refill_shop)
    tick(hours=1)
    bought(days_ago=0, products=("4003",))  # an order of anything
    tick(hours=10)
    assert mailbox.received == []
    (run,) = _runs(refill_shop.id)
    assert (run.state, run.end_reason) == ("cancelled", "order_placed")


def test_no_reminder_without_marketing_consent(refill_shop, bought, tick, mailbox):
    switch(refill_shop, product_days={COFFEE: 30})
    bought(days_ago=31, accepts_marketing=False)
    assert scan(refill_shop) == 0
    tick(days=1)
    assert mailbox.received == []


def test_long_gone_customers_are_left_to_the_win_back_flow(refill_shop, bought, tick, mailbox):
    switch(refill_shop, product_days={COFFEE: 30})
    bought(days_ago=61)  # more than twice the gap ago
    assert scan(refill_shop) == 0


def test_the_learned_gap_counts_and_the_merchants_overrides_it(refill_shop, bought, tick, mailbox):
    for n in range(4):  # regulars buy coffee every 20 days
        for k in range(3):
            bought(days_ago=100 - 20 * k, who=f"regular{n}", accepts_marketing=False)
    refresh_recommendations(refill_shop.id, now=clock.now())
    switch(refill_shop)
    bought(days_ago=21)
    assert scan(refill_shop) == 1  # learned: 20 days

    bought(days_ago=21, who="ewa")
    switch(refill_shop, product_days={COFFEE: 45})
    assert scan(refill_shop) == 0  # the merchant's 45 days win
    tick(minutes=1)
    assert [m["To"] for m in mailbox.received] == [SHOPPER]


def test_several_products_due_together_come_in_one_email_in_english(
    refill_shop, bought, tick, mailbox
):
    switch(refill_shop, product_days={COFFEE: 30, "4002": 30})
    bought(days_ago=31, products=(COFFEE, "4002"), locale="en")
    assert scan(refill_shop) == 1
    tick(minutes=1)
    (mail,) = mailbox.received
    assert mail["Subject"] == "Running low? Time to stock up"
    text = _text(mail)
    assert "Time to stock up" in text and "Coffee beans" in text and "Paper filters" in text


def test_the_product_table_is_validated(refill_shop):
    with pytest.raises(SettingError, match="must be from 1 to 730"):
        save_settings(refill_shop.id, replenishment.FLOW, {"product_days": {COFFEE: 0}})
    with pytest.raises(SettingError, match="whole number"):
        save_settings(refill_shop.id, replenishment.FLOW, {"product_days": {COFFEE: "x"}})
    save_settings(refill_shop.id, replenishment.FLOW, {"product_days": {COFFEE: 30}})


def test_who_unsubscribed_from_a_reminder_gets_none_for_the_next_purchase(
    refill_shop, bought, tick, mailbox, client
):
    switch(refill_shop, product_days={COFFEE: 30})
    bought(days_ago=31)
    scan(refill_shop)
    tick(minutes=1)
    (mail,) = mailbox.received
    url = mail["List-Unsubscribe"].strip("<>").removeprefix("http://storeflow.test")
    assert client.post(url, data={"List-Unsubscribe": "One-Click"}).status_code == 200

    bought(days_ago=0)  # they bought it again anyway
    tick(days=31)
    assert scan(refill_shop) == 0
    tick(minutes=1)
    assert len(mailbox.received) == 1


def test_the_holdout_group_gets_no_reminder(refill_shop, bought, tick, mailbox):
    switch(refill_shop, product_days={COFFEE: 30}, holdout_percent=50)
    customers = [f"c{n}" for n in range(12)]
    for who in customers:
        bought(days_ago=31, who=who)
    assert scan(refill_shop) == len(customers)
    tick(minutes=1)
    held = [r for r in _runs(refill_shop.id) if r.held_out]
    assert 0 < len(held) < len(customers)
    assert len(mailbox.received) == len(customers) - len(held)
