"""From a message row to a mail the SMTP server really receives, then the shopper's clicks."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from app.emails.compose import compose_email, compose_one_off, message_id_for
from app.emails.senders import SmtpSender
from app.models import Customer, FlowRun, Message, Shop, Suppression, db
from tests.support.emails import SmtpServer


@pytest.fixture()
def shop_with_address(make_shop: Callable[..., Shop]) -> Shop:
    return make_shop(
        name="Demo Boutique",
        settings={"address": "ul. Prosta 1, 00-001 Warszawa", "sender_email": "hi@demo.example"},
    )


@pytest.fixture()
def message_row(
    shop_with_address: Shop,
    make_customer: Callable[..., Customer],
    make_message: Callable[..., Message],
) -> Message:
    customer = make_customer(shop_with_address)
    return make_message(shop_with_address, customer, step=2, status="sending")


def _send(shop: Shop, row: Message, server: SmtpServer, context: dict[str, Any]) -> Any:
    email, _ = compose_email(shop, row, "abandoned_cart_3", context, "pl")
    SmtpSender(server.host, server.port, security="none", timeout=5).send(email)
    return server.received[-1]


def test_marketing_mail_arrives_tracked_and_unsubscribable(
    client: FlaskClient,
    shop_with_address: Shop,
    message_row: Message,
    smtp_server: SmtpServer,
    email_context: Callable[..., dict[str, Any]],
) -> None:
    context = email_context(
        discount={
            "code": "WRACAJ-7Q2K",
            "percentage": 10,
            "expires_at": datetime(2026, 11, 25, 17, tzinfo=UTC),
        },
        unsubscribe_url=None,
        open_pixel_url=None,
    )

    mail = _send(shop_with_address, message_row, smtp_server, context)

    shop_id = shop_with_address.id
    assert mail["Message-ID"] == f"<sf.{shop_id}.{message_row.run_id}.2@storeflow.test>"
    assert mail["From"] == "Demo Boutique <hi@demo.example>"
    assert mail["Subject"] == "10% rabatu na produkty w Twoim koszyku"
    html = mail.get_body(preferencelist=("html",)).get_content()
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "WRACAJ-7Q2K" in html and "WRACAJ-7Q2K" in text
    assert "Linen shirt" in html and "Linen shirt" in text
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = re.fullmatch(r"<http://storeflow\.test(/u/[^>]+)>", mail["List-Unsubscribe"])
    assert unsubscribe is not None and unsubscribe.group(1) in html  # also a visible link

    pixel = re.search(r'src="http://storeflow\.test(/t/o/[^"]+\.gif)"', html)
    product = re.search(r'href="http://storeflow\.test(/t/c/[^"]+)"', html)
    assert pixel and product
    assert client.get(pixel.group(1)).status_code == 200
    followed = client.get(product.group(1))
    assert followed.status_code == 302
    assert followed.headers["Location"] == "https://demo.example/products/linen-shirt"
    db.session.expire_all()
    assert message_row.opened_at is not None and message_row.clicked_at is not None

    assert (
        client.post(unsubscribe.group(1), data={"List-Unsubscribe": "One-Click"}).status_code == 200
    )
    assert db.session.scalars(sa.select(Suppression.address)).all() == ["ola@example.com"]
    assert db.session.get(FlowRun, message_row.run_id).state == "cancelled"


def test_a_retried_send_carries_the_same_message_id(
    shop_with_address: Shop,
    message_row: Message,
    smtp_server: SmtpServer,
    email_context: Callable[..., dict[str, Any]],
) -> None:
    context = email_context(discount={"code": "X1", "percentage": 10, "expires_at": None})

    first = _send(shop_with_address, message_row, smtp_server, context)
    second = _send(shop_with_address, message_row, smtp_server, context)

    assert first["Message-ID"] == second["Message-ID"]
    assert first["Message-ID"] == message_id_for(
        shop_with_address.id, message_row.run_id, message_row.step
    )


def test_shipping_notice_has_no_unsubscribe_headers_or_tracking(
    shop_with_address: Shop, message_row: Message, email_context: Callable[..., dict[str, Any]]
) -> None:
    tracking = {"number": "6200001", "url": "https://inpost.pl/t/6200001", "company": "InPost"}
    email, _ = compose_email(
        shop_with_address,
        message_row,
        "shipping_notice",
        email_context(items=[], tracking=tracking, unsubscribe_url=None, open_pixel_url=None),
        "en",
    )

    assert email.headers == {}
    assert "/t/o/" not in email.html and "/u/" not in email.html
    assert "https://inpost.pl/t/6200001" in email.html


def test_message_ids_name_the_shop_run_and_step(app: Any) -> None:
    assert message_id_for(3, 7, 2) == "<sf.3.7.2@storeflow.test>"


def test_a_test_send_gets_a_fresh_message_id_each_time(
    shop_with_address: Shop, email_context: Callable[..., dict[str, Any]]
) -> None:
    context = email_context(discount={"code": "X1", "percentage": 10, "expires_at": None})
    first, _ = compose_one_off(shop_with_address, "abandoned_cart_3", context, "en", to="m@x.pl")
    second, _ = compose_one_off(shop_with_address, "abandoned_cart_3", context, "en", to="m@x.pl")

    assert first.message_id != second.message_id
    assert first.message_id.startswith("<sf.test.") and first.to == "m@x.pl"


def test_discount_without_expiry_still_renders(
    shop_with_address: Shop, email_context: Callable[..., dict[str, Any]]
) -> None:
    email, content = compose_one_off(
        shop_with_address,
        "abandoned_cart_3",
        email_context(discount={"code": "NOEXP", "percentage": 5, "expires_at": None}),
        "en",
        to="a@example.com",
    )
    assert "NOEXP" in content.text and "Valid until" not in content.text
    assert email.headers["List-Unsubscribe"].startswith("<http://storeflow.test/u/")
