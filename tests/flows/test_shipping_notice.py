from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from app.flows.shipping_notice import send_shipping_notice
from app.models import Message, Shipment, Shop, ShopScope, Suppression, db
from tests.shipping.test_listener import order_payload
from tests.support.emails import SmtpServer, smtp_server  # noqa: F401  (the real SMTP server)


@pytest.fixture()
def mail_to(app, smtp_server: SmtpServer, monkeypatch) -> SmtpServer:  # noqa: F811
    monkeypatch.setitem(app.config, "MAIL_URL", f"smtp://127.0.0.1:{smtp_server.port}?starttls=0")
    return smtp_server


@pytest.fixture()
def shop_with_address(labelled_shop: Shop) -> Shop:
    from app.shipping import settings as label_settings

    labelled_shop.settings = {"address": "Demo Boutique, ul. Mokotowska 12, 00-561 Warszawa"}
    values = {**label_settings.load(labelled_shop.id).as_values(), "trigger": "paid"}
    label_settings.save(labelled_shop.id, label_settings.LabelSettings(enabled=True, **values))
    db.session.commit()
    return labelled_shop


@pytest.fixture()
def pay_order(post_demo_webhook, run_jobs, shop_with_address) -> Callable[..., None]:
    def pay(**overrides: Any) -> None:
        post_demo_webhook("order/paid", order_payload(**overrides), delivery_id="paid")
        run_jobs()

    return pay


def the_shipment(shop: Shop) -> Shipment:
    db.session.expire_all()
    [shipment] = ShopScope(shop.id).all(Shipment)
    return shipment


def test_customer_gets_one_localised_shipping_email_with_the_tracking_link(
    mail_to, pay_order, shop_with_address
):
    pay_order()
    shipment = the_shipment(shop_with_address)

    [email] = mail_to.received
    assert email["To"] == "ola@example.com"
    assert email["Subject"] == "Twoje zamówienie z Test shop jest w drodze"  # shop locale pl
    text = email.get_body(("plain",)).get_content()
    assert shipment.tracking_number in text
    assert shipment.tracking_url in text
    [message] = ShopScope(shop_with_address.id).all(Message)
    assert (message.kind, message.status, message.recipient) == (
        "transactional",
        "sent",
        "ola@example.com",
    )

    assert send_shipping_notice(shop_with_address.id, shipment.id) == "already sent"
    assert len(mail_to.received) == 1


def test_shipping_email_needs_no_marketing_consent(mail_to, pay_order):
    pay_order(customer={"id": 77, "email": "ola@example.com", "accepts_marketing": False})
    assert len(mail_to.received) == 1


def test_suppressed_address_gets_no_shipping_email(mail_to, pay_order, shop_with_address):
    ShopScope(shop_with_address.id).add(
        Suppression(channel="email", address="ola@example.com", reason="bounce")
    )
    db.session.commit()
    pay_order()
    assert mail_to.received == []


def test_mail_server_trouble_is_retried_and_sends_once_it_recovers(
    mail_to, pay_order, shop_with_address
):
    mail_to.handler.reply = "451 Try again later"
    pay_order()
    shipment = the_shipment(shop_with_address)
    [message] = ShopScope(shop_with_address.id).all(Message)
    assert message.status == "deferred"

    mail_to.handler.reply = "250 OK"
    assert send_shipping_notice(shop_with_address.id, shipment.id) == "sent"
    assert len(mail_to.received) == 1


def test_no_shipping_email_when_the_merchant_turned_it_off(mail_to, pay_order, shop_with_address):
    from app.shipping import settings as label_settings

    values = {**label_settings.load(shop_with_address.id).as_values(), "shipping_email": False}
    label_settings.save(shop_with_address.id, label_settings.LabelSettings(enabled=True, **values))
    db.session.commit()

    pay_order()

    assert the_shipment(shop_with_address).status == "created"
    assert mail_to.received == []
