"""The demo's promise for the other flows: a demo order yields a cross-sell email in the
outbox, and an idle demo customer two win-back emails, on the fast clock."""

from __future__ import annotations

import email

from app.demo import seed as demo
from app.demo.seed import CATALOG
from app.models import Message, Recommendation, ShopScope, utcnow
from tests.support.demo import outbox_mails


def _templates(shop_id: int) -> list[str]:
    return sorted(message.meta["template"] for message in ShopScope(shop_id).all(Message))


def _text(mail: email.message.EmailMessage) -> str:
    return str(mail.get_body(preferencelist=("plain",)).get_content())


def test_demo_order_gets_a_cross_sell_email_with_other_products_a_minute_later(
    app, sim_clock, outbox, demo_cli, tick
):
    shop = demo.seed()
    sim_clock.current = utcnow()
    assert "HTTP 200" in demo_cli("demo-cross-sell", "--email", "ola@example.com")
    assert ShopScope(shop.id).first(Recommendation) is not None  # learned from the history
    # The paid order's parcel notice goes at once (the demo shop prints labels); no cross-sell yet.
    assert _templates(shop.id) == ["shipping_notice"]
    sim_clock.current = utcnow()  # learning from the history took a moment
    tick(minutes=1, seconds=5)

    assert _templates(shop.id) == ["cross_sell", "shipping_notice"]
    (cross_sell,) = ShopScope(shop.id).all(
        Message, Message.meta["template"].as_string() == "cross_sell"
    )
    (mail,) = [m for m in outbox_mails(outbox) if m["Message-ID"] == cross_sell.idempotency_key]
    assert mail["To"] == "ola@example.com"
    text = _text(mail)
    bought = {"Linen shirt", "Wool scarf"}  # the demo order
    others = {title for _pid, title, _category, _price in CATALOG} - bought
    assert any(title in text for title in others)
    assert not any(title in text for title in bought)


def test_idle_demo_customer_gets_both_win_back_emails_the_second_with_a_code(
    app, sim_clock, outbox, demo_cli, tick
):
    shop = demo.seed()
    sim_clock.current = utcnow()
    output = demo_cli("demo-winback", "--email", "marek@example.com")
    assert "HTTP 200" in output and "newly idle" in output
    tick(minutes=1)
    (first,) = outbox_mails(outbox)
    assert first["To"] == "marek@example.com"
    assert "HELLO-" not in _text(first)
    tick(minutes=2)

    mails = outbox_mails(outbox)
    assert len(mails) == 2
    (second,) = [m for m in mails if m["Message-ID"] != first["Message-ID"]]
    assert "HELLO-" in _text(second)
    templates = sorted(m.meta["template"] for m in ShopScope(shop.id).all(Message))
    assert templates == ["reactivation_1", "reactivation_2"]


def test_known_demo_shopper_viewing_a_product_three_times_gets_a_browse_email(
    app, sim_clock, outbox, demo_cli, tick, running_service
):
    shop = demo.seed()
    sim_clock.current = utcnow()
    output = demo_cli("demo-browse", "--email", "kasia@example.com", "--product", "1008")
    assert "HTTP [204, 204, 204]" in output and "1 shopper(s) found" in output
    assert any(url.endswith("/collect/demo") for url in running_service.called)
    tick(minutes=1)

    (mail,) = outbox_mails(outbox)
    assert mail["To"] == "kasia@example.com"
    text = _text(mail)
    assert "Denim jacket" in text.split("\n\n", 3)[2]  # the first block: what they looked at
    assert _templates(shop.id) == ["browse_abandonment"]


def test_demo_birthday_puts_a_birthday_email_with_its_gift_code_in_the_outbox(
    app, sim_clock, outbox, demo_cli, tick
):
    shop = demo.seed()
    sim_clock.current = utcnow()
    output = demo_cli("demo-birthday", "--email", "ola@example.com")
    assert "HTTP 200" in output and "birthday scan: 1 found" in output
    tick(minutes=1)

    (mail,) = outbox_mails(outbox)
    assert mail["To"] == "ola@example.com"
    assert "Ola" in mail["Subject"]
    assert "BDAY-" in _text(mail)
    assert [m.meta["template"] for m in ShopScope(shop.id).all(Message)] == ["birthday"]
    # A year's wish is once: the same shopper again finds nobody new.
    assert "birthday scan: 0 found" in demo_cli("demo-birthday", "--email", "ola@example.com")
