"""What the merchant wrote is what shoppers get: the abandoned-cart sequence runs for real
(demo webhooks in, the minute tick, a real SMTP server) with the merchant's Polish text."""

from __future__ import annotations

from email.message import EmailMessage

from app.emails.merchant_defaults import default_copy
from app.emails.overrides import save_copy
from app.models import Message, ShopScope, db
from tests.support.flows import cart_payload


def _html(mail: EmailMessage) -> str:
    part = mail.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def _text(mail: EmailMessage) -> str:
    part = mail.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def _write(shop_id: int, step: int, template: str, locale: str, **changes: str) -> None:
    save_copy(
        shop_id,
        "abandoned_cart",
        step,
        template,
        locale,
        {
            **default_copy(template, locale),
            **changes,
        },
    )
    db.session.commit()


def test_shoppers_receive_the_merchants_own_polish_subject_heading_and_button(
    flow_shop, sim_clock, shop_events, tick, mailbox
):
    _write(
        flow_shop.id,
        0,
        "abandoned_cart_1",
        "pl",
        subject="{{ first_name }}, Twój koszyk ({{ cart_total }}) czeka!",
        headline="Dzień dobry, {{ first_name }}",
        intro="Pakujemy szybko.\nDarmowa dostawa od 200 zł.",
        cta="Kończę zakupy",
    )
    _write(flow_shop.id, 2, "abandoned_cart_2", "en", subject="English only")

    shop_events("cart/updated", cart_payload(locale="pl"))
    tick(minutes=61)  # the first reminder
    tick(hours=23)  # the second: no Polish text of the merchant's, so ours

    first, second = mailbox.received
    assert first["Subject"] == "Ania, Twój koszyk (477,00 zł) czeka!"
    html, text = _html(first), _text(first)
    assert "Dzień dobry, Ania" in html and "Dzień dobry, Ania" in text
    assert "Pakujemy szybko.<br />Darmowa dostawa od 200 zł." in html
    assert "Kończę zakupy" in html and "Kończę zakupy" in text
    assert "Wróć do koszyka" not in html  # our button text is replaced
    # What the merchant cannot remove is still there.
    assert "ul. Mokotowska 1" in html and "ul. Mokotowska 1" in text
    assert "http://storeflow.test/u/" in html and first["List-Unsubscribe"]
    assert second["Subject"] == "Twój koszyk wciąż czeka"
    subjects = {m.step: m.subject for m in ShopScope(flow_shop.id).all(Message)}
    assert subjects[0] == "Ania, Twój koszyk (477,00 zł) czeka!"


def test_without_merchant_text_shoppers_get_our_translated_default(
    flow_shop, sim_clock, shop_events, tick, mailbox
):
    shop_events("cart/updated", cart_payload(locale="pl"))
    tick(minutes=61)

    (mail,) = mailbox.received
    assert mail["Subject"] == "Ania, coś zostało w Twoim koszyku"
