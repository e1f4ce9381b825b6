"""The abandoned-cart sequence end to end: demo webhooks in, mail out through a real SMTP
server, on a simulated clock."""

from __future__ import annotations

import re
from datetime import timedelta
from email.message import EmailMessage

from app.emails.restore_links import read_restore_token
from app.flows.abandoned_cart import discount_code
from app.insights.attribution import run_revenue
from app.models import Discount, FlowRun, Message, Order, ShopScope
from tests.support.flows import START, cart_payload, order_payload

SHOPPER = "ania@example.com"


def _html(mail: EmailMessage) -> str:
    part = mail.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def _text(mail: EmailMessage) -> str:
    part = mail.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def _restore_token(client, text: str) -> dict:
    """Follow the mail's tracked links to the one that restores the cart; its payload."""
    for token in re.findall(r"http://storeflow\.test(/t/c/[A-Za-z0-9_\-\.]+)", text):
        target = client.get(token).headers.get("Location", "")
        if target.startswith("http://storeflow.test/r/"):
            return read_restore_token(target.rsplit("/", 1)[1], now=START.timestamp())
    raise AssertionError("no restore link in the mail")


def test_full_sequence_sends_three_reminders_with_cart_links_and_discount(
    flow_shop, sim_clock, shop_events, tick, mailbox, client
):
    shop_events("cart/updated", cart_payload())
    assert tick(minutes=59) == 0 and mailbox.received == []
    tick(minutes=2)  # 1 h after the cart was left
    tick(hours=23)  # 24 h
    assert len(mailbox.received) == 2
    tick(hours=48)  # 72 h
    first, second, third = mailbox.received
    for mail in (first, second, third):
        assert mail["To"] == SHOPPER
        assert mail["List-Unsubscribe"].startswith("<http://storeflow.test/u/")
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        html, text = _html(mail), _text(mail)
        assert "Linen shirt" in html and "Wool scarf" in html
        assert "Linen shirt" in text
        assert "http://storeflow.test/u/" in html  # a visible unsubscribe link
        assert _restore_token(client, text)["k"] == "c-1"
        assert "ul. Mokotowska 1" in text  # the sender's postal address, as the law asks
    assert len({m["Message-ID"] for m in mailbox.received}) == 3

    (run,) = ShopScope(flow_shop.id).all(FlowRun)
    assert (run.state, run.end_reason) == ("completed", "sequence_finished")
    messages = ShopScope(flow_shop.id).all(Message)
    assert sorted(m.status for m in messages) == ["sent"] * 3
    (discount,) = ShopScope(flow_shop.id).all(Discount)
    third_message = max(messages, key=lambda m: m.step)
    assert discount.code == discount_code(flow_shop, third_message)
    assert discount.message_id == third_message.id and discount.recipient == SHOPPER
    assert discount.amount == 10
    assert discount.expires_at == third_message.sent_at + timedelta(hours=48)
    assert discount.code in _text(third) and discount.code not in _text(first)
    assert _restore_token(client, _text(third))["d"] == discount.code  # the link applies the code


def test_no_email_after_a_purchase_that_arrives_between_scheduling_and_sending(
    flow_shop, sim_clock, shop_events, run_jobs, mailbox
):
    from app.flows.engine.timers import enqueue_due_runs

    shop_events("cart/updated", cart_payload())
    sim_clock.advance(minutes=61)
    assert enqueue_due_runs(sim_clock.now()) == 1  # the step job is queued...
    shop_events("order/created", order_payload("o-1", "c-1", SHOPPER, "477.00"))
    run_jobs("flows")  # ...and runs after the order came in
    assert mailbox.received == []
    (run,) = ShopScope(flow_shop.id).all(FlowRun)
    assert run.end_reason == "order_placed"


def test_purchase_after_the_first_reminder_stops_the_rest(
    flow_shop, sim_clock, shop_events, tick, mailbox
):
    shop_events("cart/updated", cart_payload())
    tick(minutes=61)
    assert len(mailbox.received) == 1
    sim_clock.advance(hours=2)
    shop_events("order/created", {**order_payload("o-1", "c-1", SHOPPER, "477.00"), "paid": True})
    for _ in range(4):
        tick(hours=24)
    assert len(mailbox.received) == 1
    (run,) = ShopScope(flow_shop.id).all(FlowRun)
    # Bought 3 h after a reminder they received: the reminder earned the order.
    assert (run.state, run_revenue(flow_shop.id, run)) == ("converted", 477)


def test_a_cash_on_delivery_order_placed_but_not_paid_stops_the_reminders(
    flow_shop, sim_clock, shop_events, tick, mailbox
):
    shop_events("cart/updated", cart_payload())
    tick(minutes=61)
    assert len(mailbox.received) == 1
    sim_clock.advance(hours=2)
    placed = {**order_payload("o-1", "c-1", SHOPPER, "477.00"), "payment_method": "cod"}
    shop_events("order/created", placed)
    for _ in range(4):
        tick(hours=24)
    assert len(mailbox.received) == 1
    (run,) = ShopScope(flow_shop.id).all(FlowRun)
    order = ShopScope(flow_shop.id).first(Order, Order.platform_order_id == "o-1")
    assert (order.is_cod, order.paid_at) == (True, None)
    assert (run.state, run_revenue(flow_shop.id, run)) == ("converted", 0)


def test_polish_and_romanian_shoppers_get_their_language(
    flow_shop, sim_clock, shop_events, tick, mailbox
):
    shop_events("cart/updated", cart_payload("c-pl", email_address="pl@example.com", locale="pl"))
    shop_events("cart/updated", cart_payload("c-ro", email_address="ro@example.com", locale="ro"))
    shop_events("cart/updated", cart_payload("c-en", email_address="en@example.com", locale="en"))
    tick(minutes=61)
    by_shopper = {m["To"]: _text(m) for m in mailbox.received}
    assert "Wróć do koszyka" in by_shopper["pl@example.com"]
    assert "Wypisz się" in by_shopper["pl@example.com"]
    assert "Înapoi la coș" in by_shopper["ro@example.com"]
    assert "Dezabonare" in by_shopper["ro@example.com"]
    assert "Return to your cart" in by_shopper["en@example.com"]


def test_one_click_unsubscribe_from_the_first_reminder_stops_the_rest(
    flow_shop, sim_clock, shop_events, tick, mailbox, client
):
    shop_events("cart/updated", cart_payload())
    tick(minutes=61)
    (first,) = mailbox.received
    url = first["List-Unsubscribe"].strip("<>")
    # RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click" to the header's URL.
    response = client.post(
        url.removeprefix("http://storeflow.test"), data={"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200
    for _ in range(4):
        tick(hours=24)
    assert len(mailbox.received) == 1
    (run,) = ShopScope(flow_shop.id).all(FlowRun)
    assert (run.state, run.end_reason) == ("cancelled", "unsubscribed")
