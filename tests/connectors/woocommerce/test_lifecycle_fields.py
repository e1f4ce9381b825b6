"""What the WordPress plugin adds for the lifecycle flows reaches us: the optional birthday (user
and order meta ``storeflow_birthday``, carried by WooCommerce's documented REST customer and
order bodies in ``meta_data``: tests/fixtures/woocommerce/customer.json and order.json with one
meta row added) and the sign-up form's ``newsletter.signup`` event (its body as documented in
``app/connectors/woocommerce/plugin_events.py`` and wordpress-plugin/README.md), which starts
the welcome series like the checkout box does."""

from __future__ import annotations

from datetime import date
from typing import Any

from app.connectors.base import ShopRef
from app.connectors.woocommerce.mapping import HANDLERS
from app.events import types as ev
from app.flows import welcome
from app.flows.engine import clock
from app.flows.engine.settings import save_settings
from app.models import Customer, ShopScope, db
from tests.support.woocommerce import load

SHOP = ShopRef(1, "store.example", "PLN")


def _with_birthday(body: dict[str, Any], value: str) -> dict[str, Any]:
    row = {"id": 13201, "key": "storeflow_birthday", "value": value}
    return {**body, "meta_data": [*body.get("meta_data", []), row]}


def test_the_customer_webhook_carries_the_birthday_from_user_meta():
    (event,) = HANDLERS["customer.updated"](
        SHOP, _with_birthday(load("customer.json"), "1990-11-23")
    )
    assert isinstance(event, ev.CustomerUpdated) and event.birthday == date(1990, 11, 23)
    (plain,) = HANDLERS["customer.updated"](SHOP, load("customer.json"))
    assert isinstance(plain, ev.CustomerUpdated) and plain.birthday is None


def test_a_guest_orders_birthday_becomes_news_about_the_buyer():
    events = HANDLERS["order.created"](SHOP, _with_birthday(load("order.json"), "1985-02-28"))
    (news,) = [e for e in events if isinstance(e, ev.CustomerUpdated)]
    assert news.birthday == date(1985, 2, 28)
    assert news.customer.email == "john.doe@example.com"
    assert not [
        e
        for e in HANDLERS["order.created"](SHOP, load("order.json"))
        if isinstance(e, ev.CustomerUpdated)
    ]


def signup_body(**changes: Any) -> dict[str, Any]:
    return {
        "email": "Ala@Example.pl",
        "first_name": "Ala",
        "customer_id": None,
        "locale": "pl_PL",
        "consent": True,
        "birthday": "1990-11-23",
        "source": "signup_form",
        "updated_at": clock.now().isoformat(),
        **changes,
    }


def test_the_sign_up_form_starts_the_welcome_with_its_confirmation_and_keeps_the_birthday(
    woo_shop, post_plugin_event, run_jobs, sim_clock, tick, mailbox
):
    woo_shop.settings = {
        **woo_shop.settings,
        "address": "ul. Prosta 1, Warszawa",
        "sender_email": "hello@shop.example",
    }
    db.session.commit()
    save_settings(
        woo_shop.id, welcome.FLOW, {"holdout_percent": 0, "double_opt_in": "on"}, enabled=True
    )
    db.session.commit()

    assert post_plugin_event("newsletter.signup", signup_body()).status_code == 200
    run_jobs("events")
    tick(minutes=1)

    (confirmation,) = mailbox.received
    assert confirmation["To"] == "ala@example.pl"
    assert confirmation["Subject"] == "Potwierdź subskrypcję newslettera Test shop"
    ala = ShopScope(woo_shop.id).first(Customer, Customer.email == "ala@example.pl")
    assert ala is not None
    assert (ala.email_consent, ala.email_consent_source) == ("pending", "woocommerce_signup")
    assert ala.birthday == date(1990, 11, 23)


def test_without_double_opt_in_the_sign_up_gets_the_welcome_email_at_once(
    woo_shop, post_plugin_event, run_jobs, sim_clock, tick, mailbox
):
    woo_shop.settings = {
        **woo_shop.settings,
        "address": "ul. Prosta 1, Warszawa",
        "sender_email": "hello@shop.example",
    }
    db.session.commit()
    save_settings(
        woo_shop.id,
        welcome.FLOW,
        {"holdout_percent": 0, "double_opt_in": "off", "first_order_code": False},
        enabled=True,
    )
    db.session.commit()

    assert post_plugin_event("newsletter.signup", signup_body(locale="ro_RO")).status_code == 200
    run_jobs("events")
    tick(minutes=1)

    (mail,) = mailbox.received
    assert mail["Subject"] == "Bun venit la Test shop"
