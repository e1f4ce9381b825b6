"""The welcome series end to end: a sign-up arrives as Shopify's documented ``customers/create``
body (``tests/fixtures/shopify/customers_create.json``; the variation adds the documented
``email_marketing_consent`` block and names the shopper's ``locale``), mail goes through a real
SMTP server on a simulated clock, and double opt-in is clicked through our own web page."""

from __future__ import annotations

import re
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest

from app.emails.opt_in import confirm_url
from app.flows import welcome
from app.flows.engine import clock
from app.flows.engine.settings import save_settings
from app.models import Customer, FlowRun, Message, Shop, ShopScope, db, double_opt_in_required
from app.models.newsletter import shop_country
from tests.support.flows import START
from tests.support.shopify import load
from tests.support.shopping import add_product, buy
from tests.support.woocommerce import load as wc_load

BOB = "bob@biller.com"
BOB_ID = 706405506930370084


@pytest.fixture()
def welcome_shop(shopify_shop: Shop) -> Shop:
    """The Shopify test shop with a sender and postal address, two bestsellers, and the
    welcome series on (no holdout, no code: Shopify's discount API is another test's)."""
    shopify_shop.settings = {
        "address": "ul. Mokotowska 1, 00-640 Warszawa",
        "sender_email": "hello@shop.example",
    }
    shopify_shop.installed_at = START - timedelta(days=30)  # the orders below are news
    add_product(shopify_shop.id, "3001", title="Linen apron", url="https://shop.example/p/3001")
    add_product(shopify_shop.id, "3002", title="Oak board", url="https://shop.example/p/3002")
    for who in ("ewa", "jan", "iza"):
        buy(shopify_shop.id, who, ["3001"])
    buy(shopify_shop.id, "ola", ["3002"])
    db.session.commit()
    return shopify_shop


def switch(shop: Shop, **values: Any) -> None:
    defaults = {"holdout_percent": 0, "first_order_code": False, "double_opt_in": "off"}
    save_settings(shop.id, welcome.FLOW, {**defaults, **values}, enabled=True)
    db.session.commit()


@pytest.fixture()
def sign_up(post_shopify_webhook, run_jobs, sim_clock):
    """Shopify tells us a customer was created who subscribed to email marketing."""

    def post(
        locale: str = "pl", webhook_id: str = "w-signup", opt_in_level: str = "single_opt_in"
    ) -> None:
        at = clock.now().isoformat()
        payload = load("customers_create", updated_at=at, created_at=at, locale=locale)
        payload["email_marketing_consent"] = {
            "state": "subscribed",
            "opt_in_level": opt_in_level,
            "consent_updated_at": at,
        }
        assert (
            post_shopify_webhook("customers/create", payload, webhook_id=webhook_id).status_code
            == 200
        )
        run_jobs("events")

    return post


def _text(mail: EmailMessage) -> str:
    part = mail.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def _bob(shop: Shop) -> Customer:
    db.session.expire_all()
    customer = ShopScope(shop.id).first(Customer, Customer.email == BOB)
    assert customer is not None
    return customer


def _runs(shop: Shop, key: str = welcome.KEY) -> list[FlowRun]:
    return ShopScope(shop.id).all(FlowRun, FlowRun.flow_key == key)


def _confirm_path(mail: EmailMessage) -> str:
    found = re.search(r"https?://[^/\s]+(/n/[\w.\-]+)", _text(mail))
    assert found, _text(mail)
    return found.group(1)


def test_shopify_sign_up_gets_three_welcome_emails_in_the_shoppers_language(
    welcome_shop, sign_up, tick, mailbox
):
    switch(welcome_shop)
    sign_up(locale="pl")
    tick(minutes=1)

    (first,) = mailbox.received
    assert first["To"] == BOB and first["Subject"] == "Witamy w Test shop"
    assert "Witaj, Bob!" in _text(first)
    tick(days=2)
    second = mailbox.received[1]
    assert second["Subject"] == "Historia sklepu Test shop"
    assert "Kim jesteśmy" in second["Subject"] + _text(second) or "Miło nam" in _text(second)
    tick(days=3)
    third = mailbox.received[2]
    assert third["Subject"] == "Co nasi klienci lubią najbardziej"
    text = _text(third)
    assert "Nasze bestsellery" in text and text.index("Linen apron") < text.index("Oak board")
    tick(days=30)
    assert len(mailbox.received) == 3
    (run,) = _runs(welcome_shop)
    assert (run.state, run.end_reason) == ("completed", "sequence_finished")


def test_the_welcome_email_goes_in_romanian_or_english_to_such_shoppers(
    welcome_shop, sign_up, tick, mailbox
):
    switch(welcome_shop)
    sign_up(locale="ro")
    tick(minutes=1)
    assert mailbox.received[0]["Subject"] == "Bun venit la Test shop"
    assert "Bun venit, Bob!" in _text(mailbox.received[0])


def test_first_order_stops_the_welcome_series(
    welcome_shop, sign_up, tick, mailbox, post_shopify_webhook, run_jobs
):
    switch(welcome_shop)
    sign_up()
    tick(minutes=1)
    assert len(mailbox.received) == 1

    tick(days=1)
    now = clock.now().isoformat()
    # The documented sample is a cancelled order of 2021: this one is live and placed now.
    order = load(
        "orders_create",
        email=BOB,
        created_at=now,
        updated_at=now,
        processed_at=now,
        cancelled_at=None,
        cancel_reason=None,
    )
    order["customer"] = dict(order["customer"], id=BOB_ID, email=BOB)
    assert post_shopify_webhook("orders/create", order, webhook_id="w-order").status_code == 200
    run_jobs("events")

    (run,) = _runs(welcome_shop)
    # The order came a day after the welcome email: the series earned it, and ends.
    assert (run.state, run.end_reason) == ("converted", "order_placed")
    tick(days=10)
    assert len(mailbox.received) == 1


def test_double_opt_in_sends_only_the_confirmation_until_the_click_which_records_the_proof(
    welcome_shop, sign_up, tick, mailbox, client
):
    switch(welcome_shop, double_opt_in="on")
    sign_up(locale="ro")
    bob = _bob(welcome_shop)
    assert bob.email_consent == "pending" and not bob.is_marketing_allowed("email")
    tick(minutes=1)
    tick(days=3)

    (confirmation,) = mailbox.received  # no marketing email before the click
    assert confirmation["Subject"] == "Te rugăm să confirmi abonarea la Test shop"
    assert _runs(welcome_shop) == []
    path = _confirm_path(confirmation)
    page = client.get(path)  # a mail scanner's GET changes nothing
    assert page.status_code == 200 and "Da, abonează-mă" in page.get_data(as_text=True)
    assert _bob(welcome_shop).email_consent == "pending"

    clicked_at = clock.now()
    done = client.post(path, environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert done.status_code == 200
    assert "Mulțumim, abonarea este confirmată" in done.get_data(as_text=True)
    bob = _bob(welcome_shop)
    assert (bob.email_consent, bob.email_consent_at, bob.email_consent_ip) == (
        "granted",
        clicked_at,
        "203.0.113.7",
    )
    assert bob.email_consent_source == "confirmed:shopify"
    tick(minutes=1)
    assert mailbox.received[1]["Subject"] == "Bun venit la Test shop"
    assert client.post(path).status_code == 200  # a second click changes nothing
    assert _bob(welcome_shop).email_consent_ip == "203.0.113.7"
    assert len(_runs(welcome_shop)) == 1


def test_a_sign_up_shopify_already_confirmed_is_not_asked_to_confirm_again(
    welcome_shop, sign_up, tick, mailbox
):
    switch(welcome_shop, double_opt_in="on")
    sign_up(locale="en", opt_in_level="confirmed_opt_in")
    bob = _bob(welcome_shop)
    assert bob.email_consent == "granted" and bob.is_marketing_allowed("email")
    tick(minutes=1)
    (welcome_mail,) = mailbox.received  # the welcome itself, no confirmation email
    assert welcome_mail["Subject"] == "Welcome to Test shop"
    assert _runs(welcome_shop, welcome.CONFIRMATION.key) == []
    assert len(_runs(welcome_shop)) == 1


def test_a_pending_sign_up_still_gets_its_confirmation_after_the_welcome_series_is_switched_off(
    welcome_shop, sign_up, tick, mailbox, client
):
    switch(welcome_shop, double_opt_in="on")
    sign_up(locale="pl")
    assert _bob(welcome_shop).email_consent == "pending"
    save_settings(welcome_shop.id, welcome.FLOW, {}, enabled=False)
    db.session.commit()
    tick(minutes=1)
    (confirmation,) = mailbox.received
    assert confirmation["Subject"] == "Potwierdź subskrypcję newslettera Test shop"
    assert client.post(_confirm_path(confirmation)).status_code == 200
    assert _bob(welcome_shop).email_consent == "granted"
    tick(days=3)
    assert len(mailbox.received) == 1  # the series itself stays off
    assert _runs(welcome_shop) == []


def test_a_forged_or_expired_confirmation_link_is_refused(
    welcome_shop, sign_up, tick, mailbox, client
):
    switch(welcome_shop, double_opt_in="on")
    sign_up(locale="en")
    tick(minutes=1)
    path = _confirm_path(mailbox.received[0])

    forged = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    assert client.post(forged).status_code == 404
    bob = _bob(welcome_shop)
    expired = confirm_url(welcome_shop.id, bob, "pl", clock.now() - timedelta(seconds=1))
    answer = client.post("/" + expired.split("/", 3)[3])
    assert answer.status_code == 410
    assert "Ten link potwierdzający wygasł" in answer.get_data(as_text=True)
    assert _bob(welcome_shop).email_consent == "pending"
    assert client.post(path).status_code == 200  # the genuine link still works
    assert _bob(welcome_shop).email_consent == "granted"


def test_double_opt_in_is_on_by_default_in_germany_and_austria_only(make_shop):
    address = {"address": "Hauptstraße 1, 10115 Berlin", "sender_email": "hi@shop.example"}
    german = make_shop(n=1, locale="de-DE", settings=address)
    austrian = make_shop(
        n=2,
        locale="en",
        settings={**address, "address": "Mariahilfer Straße 1, 1060 Wien, Österreich"},
    )
    polish = make_shop(n=3, locale="pl", settings={**address, "address": "ul. Prosta 1, Warszawa"})
    for shop in (german, austrian, polish):
        save_settings(shop.id, welcome.FLOW, {}, enabled=True)
    db.session.commit()

    assert [shop_country(s) for s in (german, austrian, polish)] == ["DE", "AT", None]
    assert double_opt_in_required(german.id) and double_opt_in_required(austrian.id)
    assert not double_opt_in_required(polish.id)
    save_settings(polish.id, welcome.FLOW, {"double_opt_in": "on"})
    save_settings(german.id, welcome.FLOW, {"double_opt_in": "off"})
    assert double_opt_in_required(polish.id) and not double_opt_in_required(german.id)
    save_settings(polish.id, welcome.FLOW, {}, enabled=False)
    assert not double_opt_in_required(polish.id)  # nobody would send the confirmation


def test_no_welcome_for_a_customer_who_has_already_ordered(welcome_shop, sign_up, tick, mailbox):
    switch(welcome_shop)
    buy(welcome_shop.id, "bob", ["3001"])
    db.session.execute(
        ShopScope(welcome_shop.id)
        .update(Customer, Customer.email == "bob@example.com")
        .values(email=BOB, platform_customer_id=str(BOB_ID))
    )
    db.session.commit()
    sign_up()
    tick(minutes=1)
    assert mailbox.received == [] and _runs(welcome_shop) == []
    assert ShopScope(welcome_shop.id).all(Message) == []


def test_woocommerce_checkout_box_sign_up_gets_the_confirmation_email_in_polish(
    woo_shop, post_plugin_event, run_jobs, sim_clock, tick, mailbox
):
    """The plugin's ``checkout.contact`` event (``tests/fixtures/woocommerce/cart_updated.json``,
    the plugin contract's body) with the consent box ticked is the shopper's first consent."""
    woo_shop.settings = {**woo_shop.settings, "address": "ul. Prosta 1, Warszawa"}
    woo_shop.settings = {**woo_shop.settings, "sender_email": "hello@shop.example"}
    db.session.commit()
    switch(woo_shop, double_opt_in="on")
    payload = wc_load("cart_updated.json")
    payload["updated_at"] = clock.now().isoformat()
    assert post_plugin_event("checkout.contact", payload).status_code == 200
    run_jobs("events")
    tick(minutes=1)

    (confirmation,) = mailbox.received
    assert confirmation["To"] == "ana@example.pl"
    assert confirmation["Subject"] == "Potwierdź subskrypcję newslettera Test shop"
    ana = ShopScope(woo_shop.id).first(Customer, Customer.email == "ana@example.pl")
    assert ana is not None and ana.email_consent == "pending"


def test_the_welcome_emails_first_order_code_is_a_single_use_expiring_coupon_in_the_store(
    woo_shop, post_plugin_event, run_jobs, sim_clock, tick, mailbox, fake_store
):
    """End to end on WooCommerce (the store's REST API faked with its documented bodies): the
    code in the welcome email is a coupon the store holds for that shopper only, once, and it
    expires when the email says."""
    woo_shop.settings = {
        **woo_shop.settings,
        "address": "ul. Prosta 1, Warszawa",
        "sender_email": "hello@shop.example",
    }
    db.session.commit()
    switch(woo_shop, first_order_code=True, discount_percent=15, discount_valid_hours=72)
    payload = wc_load("cart_updated.json")
    payload["updated_at"] = clock.now().isoformat()
    assert post_plugin_event("checkout.contact", payload).status_code == 200
    run_jobs("events")
    tick(minutes=1)

    (welcome_mail,) = mailbox.received
    assert welcome_mail["To"] == "ana@example.pl"
    (coupon,) = fake_store.coupons
    assert coupon["code"].upper() in _text(welcome_mail).upper()
    assert coupon["email_restrictions"] == ["ana@example.pl"]
    assert (coupon["usage_limit"], coupon["usage_limit_per_user"]) == (1, 1)
    assert (coupon["discount_type"], coupon["amount"]) == ("percent", "15.00")
    (message,) = ShopScope(woo_shop.id).all(Message)
    expires = message.sent_at + timedelta(hours=72)
    assert coupon["date_expires_gmt"] == expires.strftime("%Y-%m-%dT%H:%M:%S")
