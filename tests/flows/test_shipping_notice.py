"""The shipping notice: a one-step transactional flow, sent once through the engine's delivery."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from app.flows import shipping_notice
from app.flows.engine.engine import run_step
from app.models import FlowRun, Message, Shipment, Shop, ShopScope, Suppression, db
from app.shipping.listener import enroll_shipping_notice
from tests.shipping.test_listener import order_payload
from tests.support.emails import SmtpServer, smtp_server  # noqa: F401  (the real SMTP server)
from tests.support.flows import cart_payload, die_after_smtp_accepts


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


def the_notice(shop: Shop) -> tuple[FlowRun, Message]:
    db.session.expire_all()
    [run] = ShopScope(shop.id).all(FlowRun, FlowRun.flow_key == shipping_notice.KEY)
    [message] = ShopScope(shop.id).all(Message, Message.run_id == run.id)
    return run, message


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
    run, message = the_notice(shop_with_address)
    assert (message.kind, message.status, message.recipient) == (
        "transactional",
        "sent",
        "ola@example.com",
    )
    # A real run of a real flow, finished by the engine like any other.
    assert (run.subject_key, run.state, run.end_reason) == (
        f"shipment:{shipment.id}",
        "completed",
        "sequence_finished",
    )
    assert run.held_out is False

    assert run_step(run.id) == "not active"
    enroll_shipping_notice(shipment)  # the listener seeing the shipment again
    db.session.commit()
    assert len(ShopScope(shop_with_address.id).all(FlowRun)) == 1
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
    [run] = ShopScope(shop_with_address.id).all(FlowRun)
    assert (run.state, run.end_reason) == ("cancelled", "unsubscribed")


def test_mail_server_trouble_is_retried_and_sends_once_it_recovers(
    mail_to, pay_order, shop_with_address, sim_clock, tick
):
    mail_to.handler.reply = "451 Try again later"
    pay_order()
    run, message = the_notice(shop_with_address)
    assert (message.status, message.attempts) == ("pending", 1)
    assert "451" in message.error
    assert run.next_step_at == sim_clock.now() + timedelta(minutes=5)

    mail_to.handler.reply = "250 OK"
    tick(minutes=5)
    run, message = the_notice(shop_with_address)
    assert (message.status, message.attempts, run.state) == ("sent", 2, "completed")
    assert len(mail_to.received) == 1


def test_worker_killed_after_the_mail_server_accepted_the_notice_sends_no_second_one(
    mail_to, pay_order, shop_with_address, sim_clock, tick, monkeypatch
):
    live_again = die_after_smtp_accepts(monkeypatch)
    pay_order()  # the SMTP server takes the notice, then the step job dies
    db.session.rollback()
    live_again()
    run, message = the_notice(shop_with_address)
    assert message.status == "sending"
    assert len(mail_to.received) == 1

    # RQ's own retry, while the first attempt could still be alive, leaves it alone.
    assert run_step(run.id) == "in flight"
    tick(minutes=15)  # the lease lapsed: the tick runs the step again, which reconciles

    run, message = the_notice(shop_with_address)
    assert (message.status, message.attempts, message.meta.get("reconciled")) == ("sent", 1, True)
    assert run.state == "completed"
    assert len(mail_to.received) == 1


def test_the_shipping_notice_and_a_flow_step_carry_message_ids_of_one_scheme(
    mail_to, pay_order, flow_shop, shop_events, sim_clock, tick
):
    pay_order()
    shop_events("cart/updated", cart_payload())
    tick(minutes=61)

    notice, reminder = mail_to.received
    runs = {run.flow_key: run for run in ShopScope(flow_shop.id).all(FlowRun)}
    notice_run, cart_run = runs[shipping_notice.KEY], runs["abandoned_cart"]
    assert notice["Message-ID"] == f"<sf.{flow_shop.id}.{notice_run.id}.0@storeflow.test>"
    assert reminder["Message-ID"] == f"<sf.{flow_shop.id}.{cart_run.id}.0@storeflow.test>"


def test_no_shipping_email_when_the_merchant_turned_it_off(mail_to, pay_order, shop_with_address):
    from app.shipping import settings as label_settings

    values = {**label_settings.load(shop_with_address.id).as_values(), "shipping_email": False}
    label_settings.save(shop_with_address.id, label_settings.LabelSettings(enabled=True, **values))
    db.session.commit()

    pay_order()

    assert the_shipment(shop_with_address).status == "created"
    assert mail_to.received == []
    assert ShopScope(shop_with_address.id).all(FlowRun) == []


def test_a_notice_not_yet_sent_when_the_merchant_turns_it_off_is_not_sent(
    mail_to, pay_order, shop_with_address, sim_clock, tick
):
    from app.shipping import settings as label_settings

    mail_to.handler.reply = "451 Try again later"
    pay_order()
    mail_to.handler.reply = "250 OK"
    values = {**label_settings.load(shop_with_address.id).as_values(), "shipping_email": False}
    label_settings.save(shop_with_address.id, label_settings.LabelSettings(enabled=True, **values))
    db.session.commit()

    tick(minutes=5)

    run, message = the_notice(shop_with_address)
    assert (run.state, run.end_reason) == ("cancelled", "flow_disabled")
    assert message.status == "pending"
    assert mail_to.received == []
