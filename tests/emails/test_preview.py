from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask

from app.emails import TemplateContextError
from app.emails.preview import preview_email, send_test_email
from app.models import Cart, Customer, Product, Shop, db
from tests.support.emails import SmtpServer

ADDRESS = "ul. Prosta 1, 00-001 Warszawa"


@pytest.fixture()
def branded_shop(make_shop: Callable[..., Shop]) -> Shop:
    shop = make_shop(
        name="Demo Boutique",
        settings={"address": ADDRESS, "sender_email": "hello@demo.example"},
    )
    for n, title in enumerate(("Merino sweater", "Silk tie", "Denim jacket"), start=1):
        db.session.add(
            Product(
                shop_id=shop.id,
                platform_product_id=str(n),
                title=title,
                price=Decimal("100") * n,
                url=f"https://demo.example/p/{n}",
            )
        )
    db.session.commit()
    return shop


TOTE_BAG = {
    "product_id": "9",
    "variant_id": "91",
    "quantity": 3,
    "unit_price": "45.00",
    "title": "Canvas tote bag",
    "variant_title": "Navy",
    "image_url": "https://demo.example/tote.jpg",
    "url": "https://demo.example/p/9",
    "compare_at_price": None,
}


@pytest.fixture()
def tote_bag_cart(
    make_customer: Callable[..., Customer], make_cart: Callable[..., Cart]
) -> Callable[[Shop], Cart]:
    """Three navy tote bags left in ``shop``'s cart by Ola."""
    return lambda shop: make_cart(
        make_customer(shop),
        items=[TOTE_BAG],
        total=Decimal("135.00"),
        restore_url="https://demo.example/restore/c-1",
    )


def test_preview_of_a_real_cart_shows_that_cart(
    branded_shop: Shop, tote_bag_cart: Callable[[Shop], Cart]
) -> None:
    cart = tote_bag_cart(branded_shop)

    email = preview_email(branded_shop.id, "abandoned_cart_1", "pl", cart_id=cart.id)

    assert email.subject == "Ola, coś zostało w Twoim koszyku"
    assert "Canvas tote bag" in email.html and "Navy" in email.html
    assert "135,00\xa0zł" in email.html
    assert "https://demo.example/restore/c-1" in email.html
    assert ADDRESS in email.text


def test_sample_preview_uses_the_shops_products_and_a_sample_discount(branded_shop: Shop) -> None:
    email = preview_email(branded_shop.id, "abandoned_cart_3", "en")

    assert "Merino sweater" in email.html and "Silk tie" in email.html
    assert "PREVIEW-10" in email.html
    assert "InPost" not in email.text  # the sample parcel belongs to the shipping notice only


def test_cross_sell_preview_recommends_other_products(
    branded_shop: Shop, tote_bag_cart: Callable[[Shop], Cart]
) -> None:
    cart = tote_bag_cart(branded_shop)

    email = preview_email(branded_shop.id, "cross_sell", "ro", cart_id=cart.id)

    assert "Ți-ar putea plăcea și" in email.html
    assert "Denim jacket" in email.html


def test_win_back_preview_shows_products_picked_for_the_customer_and_no_cart(
    branded_shop: Shop,
) -> None:
    email = preview_email(branded_shop.id, "reactivation_1", "en")

    assert "Picked for you" in email.text and "Denim jacket" in email.text  # a product block
    assert "Quantity" not in email.text  # no cart lines in a win-back email


def test_preview_of_another_shops_cart_is_refused(
    branded_shop: Shop, make_shop: Callable[..., Shop], tote_bag_cart: Callable[[Shop], Cart]
) -> None:
    other = make_shop(n=2, settings={"address": ADDRESS})
    cart = tote_bag_cart(branded_shop)

    with pytest.raises(LookupError, match="no cart"):
        preview_email(other.id, "abandoned_cart_1", "en", cart_id=cart.id)


def test_preview_tells_the_merchant_to_set_an_address(shop: Shop) -> None:
    with pytest.raises(TemplateContextError, match="address"):
        preview_email(shop.id, "abandoned_cart_1", "en")


def test_test_email_reaches_the_merchant_over_smtp(
    app: Flask, branded_shop: Shop, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(
        app.config, "MAIL_URL", f"smtp://{smtp_server.host}:{smtp_server.port}?starttls=0"
    )

    send_test_email(branded_shop.id, "abandoned_cart_2", "owner@demo.example", "pl")

    [mail] = smtp_server.received
    assert mail["Subject"] == "[TEST] Twój koszyk wciąż czeka"
    assert mail["From"] == "Demo Boutique <hello@demo.example>"
    assert mail["To"] == "owner@demo.example"
    assert mail["List-Unsubscribe"].startswith("<http://storeflow.test/u/")
    raw = smtp_server.handler.envelopes[0].original_content
    assert b"\nList-Unsubscribe: <http://storeflow.test/u/" in raw  # one line, not encoded


def test_preview_command_writes_html_and_text(
    app: Flask, branded_shop: Shop, tmp_path: Path
) -> None:
    out = tmp_path / "preview.html"

    result = app.test_cli_runner().invoke(
        args=[
            "storeflow",
            "preview-email",
            "--shop",
            str(branded_shop.id),
            "--template",
            "reactivation_1",
            "--locale",
            "ro",
            "--out",
            str(out),
        ]
    )

    assert result.exit_code == 0, result.output
    assert "Îți mai amintești de noi?" in result.output
    assert "<!doctype html>" in out.read_text()
    assert "Aruncă o privire" in (tmp_path / "preview.html.txt").read_text()


def test_preview_command_reports_a_missing_shop(app: Flask, tmp_path: Path) -> None:
    args = ["preview-email", "--shop", "999", "--template", "cross_sell", "--out", "x.html"]
    result = app.test_cli_runner().invoke(args=["storeflow", *args])

    assert result.exit_code != 0
    assert "no shop with id 999" in result.output
