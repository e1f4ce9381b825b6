"""Mapping WooCommerce's documented payloads and the plugin's events to canonical events."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from app.connectors.base import ShopRef
from app.connectors.fields import PayloadError
from app.connectors.woocommerce.identity import apply_site_identity
from app.connectors.woocommerce.mapping import HANDLERS, variant_row
from app.events import types as ev
from app.models import Shop
from tests.support.woocommerce import load

SHOP = ShopRef(1, "shop.example", "EUR")


def test_completed_order_becomes_order_created_then_paid_then_fulfilled_with_gmt_times():
    created, paid, fulfilled = HANDLERS["order.created"](SHOP, load("order.json"))
    assert isinstance(created, ev.OrderCreated) and isinstance(paid, ev.OrderPaid)
    assert paid.paid_at == datetime(2017, 3, 22, 19, 28, 8, tzinfo=UTC)  # date_paid_gmt
    assert isinstance(fulfilled, ev.OrderFulfilled)
    assert fulfilled.fulfilled_at == datetime(2017, 3, 22, 19, 30, 35, tzinfo=UTC)
    assert created.created_at == datetime(2017, 3, 22, 19, 28, 2, tzinfo=UTC)
    assert created.updated_at == datetime(2017, 3, 22, 19, 30, 35, tzinfo=UTC)
    assert (created.total, created.currency, created.payment_method) == (
        Decimal("29.35"),
        "USD",
        "bacs",
    )
    assert created.is_cod is False and created.paid is True
    assert created.customer.email == "john.doe@example.com"
    assert created.customer.platform_customer_id is None  # customer_id 0: a guest
    first, second = created.items
    assert (first.product_id, first.variant_id, first.quantity, first.unit_price) == (
        "93",
        None,
        2,
        Decimal("3"),
    )
    assert (second.variant_id, second.title) == (
        "23",
        "Ship Your Idea \u2013 Color: Black, Size: M Test",
    )
    assert created.shipping_address["city"] == "San Francisco"
    assert created.shipping_address["phone"] == "(555) 555-5555"


def test_pending_cash_on_delivery_order_is_created_unpaid():
    payload = {**load("order.json"), "status": "pending", "payment_method": "cod"}
    payload["date_paid_gmt"] = None
    (event,) = HANDLERS["order.created"](SHOP, payload)
    assert isinstance(event, ev.OrderCreated)
    assert (event.paid, event.is_cod) == (False, True)


def test_cash_on_delivery_in_processing_is_placed_not_paid_even_with_date_paid_stamped():
    # WooCommerce 6.6 puts a COD order in "processing" at checkout and may stamp date_paid
    # then; nothing is paid before the courier collects the money.
    for date_paid in (None, "2017-03-22T19:28:08"):
        for status in ("processing", "on-hold"):
            payload = {**load("order.json"), "status": status, "payment_method": "cod"}
            payload.update(date_paid_gmt=date_paid, date_completed_gmt=None)
            (event,) = HANDLERS["order.created"](SHOP, payload)
            assert isinstance(event, ev.OrderCreated), (status, date_paid)
            assert (event.paid_at, event.is_cod) == (None, True)


def test_cash_on_delivery_completed_is_paid_on_delivery_and_sent():
    payload = {**load("order.json"), "status": "completed", "payment_method": "cod"}
    paid, fulfilled = HANDLERS["order.updated"](SHOP, payload)
    assert isinstance(paid, ev.OrderPaid) and isinstance(fulfilled, ev.OrderFulfilled)
    # Paid when completed (delivered), not when date_paid was stamped at checkout.
    assert paid.paid_at == datetime(2017, 3, 22, 19, 30, 35, tzinfo=UTC)


def test_order_updated_with_refunds_reports_each_refund_and_refunded_cancels():
    refunds = [
        {"id": 726, "reason": "", "total": "-10.00"},
        {"id": 727, "reason": "", "total": "-5.35"},
    ]
    payload = {**load("order.json"), "status": "processing", "refunds": refunds}
    payload.update(date_completed_gmt=None)
    paid, first, second = HANDLERS["order.updated"](SHOP, payload)
    assert isinstance(paid, ev.OrderPaid)
    assert [(r.refund_id, r.amount) for r in (first, second)] == [
        ("726", Decimal("10.00")),
        ("727", Decimal("5.35")),
    ]
    (cancelled, *_) = HANDLERS["order.updated"](SHOP, {**payload, "status": "refunded"})
    assert isinstance(cancelled, ev.OrderCancelled)


def test_order_updated_to_cancelled_becomes_order_cancelled():
    (event,) = HANDLERS["order.updated"](SHOP, {**load("order.json"), "status": "cancelled"})
    assert isinstance(event, ev.OrderCancelled)


def test_permanently_deleted_order_with_only_an_id_changes_nothing():
    assert HANDLERS["order.deleted"](SHOP, {"id": 727}) == []


def test_product_maps_price_category_image_and_cross_sells():
    payload = {**load("product.json"), "cross_sell_ids": [12, 13], "upsell_ids": [99]}
    (event,) = HANDLERS["product.updated"](SHOP, payload)
    assert isinstance(event, ev.ProductChanged)
    assert (event.product_id, event.title, event.price) == (
        "804",
        "New Premium Quality",
        Decimal("21.99"),
    )
    assert event.url == "https://example.com/product/new-premium-quality/"
    assert event.image_url == "https://example.com/wp-content/uploads/2017/03/T_2_front-5.jpg"
    assert (event.category, event.status, event.in_stock) == ("Clothing", "active", True)
    assert (event.cross_sell_ids, event.upsell_ids) == (("12", "13"), ("99",))
    assert event.compare_at_price is None


def test_product_on_sale_keeps_regular_price_as_compare_at_and_draft_status():
    payload = {
        **load("product.json"),
        "on_sale": True,
        "price": "15.00",
        "status": "draft",
        "stock_status": "outofstock",
    }
    (event,) = HANDLERS["product.updated"](SHOP, payload)
    assert (event.price, event.compare_at_price) == (Decimal("15.00"), Decimal("21.99"))
    assert (event.status, event.in_stock) == ("draft", False)


def test_product_deleted_names_the_product():
    (event,) = HANDLERS["product.deleted"](SHOP, {"id": 804})
    assert isinstance(event, ev.ProductDeleted) and event.product_id == "804"


def test_customer_maps_contact_and_billing_address():
    (event,) = HANDLERS["customer.updated"](SHOP, load("customer.json"))
    assert isinstance(event, ev.CustomerUpdated)
    assert event.customer.platform_customer_id == "25"
    assert (event.customer.email, event.customer.first_name) == ("john.doe@example.com", "James")
    assert event.address is not None and event.address["postcode"] == "94103"
    assert event.updated_at == datetime(2017, 3, 21, 19, 12, 28, tzinfo=UTC)


def test_plugin_cart_maps_items_unit_prices_consent_and_time():
    (cart,) = HANDLERS["cart.updated"](SHOP, load("cart_updated.json"))
    assert isinstance(cart, ev.CartUpdated)
    assert (cart.cart_key, cart.total, cart.currency) == ("9f2c1e7a4b5d", Decimal("59.98"), "PLN")
    assert cart.customer.email_consent is True
    assert cart.customer.consent_source == "woocommerce_checkout"
    assert cart.customer.platform_customer_id is None
    shirt, socks = cart.items
    assert (shirt.product_id, shirt.variant_id, shirt.quantity, shirt.unit_price) == (
        "12",
        None,
        2,
        Decimal("19.99"),
    )
    assert (socks.variant_id, socks.url) == (
        "31",
        "https://shop.example/product/socks/?attribute_pa_color=blue",
    )
    assert cart.updated_at == datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def test_plugin_consent_null_says_nothing_about_consent():
    (cart,) = HANDLERS["cart.updated"](SHOP, {**load("cart_updated.json"), "consent": None})
    assert cart.customer.email_consent is None


def test_cart_emptied_is_an_empty_cart_update():
    payload = {**load("cart_updated.json"), "items": [], "totals": {"subtotal": "0", "total": "0"}}
    (cart,) = HANDLERS["cart.emptied"](SHOP, payload)
    assert isinstance(cart, ev.CartUpdated) and cart.is_empty


def test_checkout_contact_updates_the_cart_and_records_the_contact():
    cart, contact = HANDLERS["checkout.contact"](SHOP, load("cart_updated.json"))
    assert isinstance(cart, ev.CartUpdated)
    assert isinstance(contact, ev.CheckoutContact)
    assert (contact.cart_key, contact.customer.phone) == ("9f2c1e7a4b5d", "+48600100200")


def test_store_disconnected_is_app_uninstalled():
    (event,) = HANDLERS["store.disconnected"](ShopRef(7, "shop.example", "EUR"), {})
    assert event == ev.AppUninstalled(shop_id=7)


@pytest.mark.parametrize(
    ("topic", "payload", "field"),
    [
        (
            "cart.updated",
            {"currency": "PLN", "updated_at": "2026-11-20T10:00:00+00:00"},
            "cart_key",
        ),
        ("order.created", {"id": 5}, "date_created_gmt"),
        ("cart.updated", {**load("cart_updated.json"), "updated_at": "yesterday"}, "yesterday"),
    ],
)
def test_missing_or_malformed_fields_raise_an_error_naming_them(topic, payload, field):
    with pytest.raises(PayloadError, match=field):
        HANDLERS[topic](SHOP, payload)


def test_order_carries_the_cart_key_and_consent_the_plugin_stored_in_order_meta():
    payload = load("order.json")
    (plain, *_) = HANDLERS["order.created"](SHOP, payload)
    assert (plain.cart_key, plain.customer.email_consent) == (None, None)
    payload["meta_data"] += [
        {"id": 13110, "key": "storeflow_cart_key", "value": "9f2c"},
        {"id": 13111, "key": "storeflow_consent", "value": "no"},
    ]
    (event, *_) = HANDLERS["order.created"](SHOP, payload)
    # An unticked optional box says nothing: it must not withdraw consent given before.
    assert (event.cart_key, event.customer.email_consent) == ("9f2c", None)
    payload["meta_data"][-1]["value"] = "yes"
    (ticked, *_) = HANDLERS["order.created"](SHOP, payload)
    assert ticked.customer.email_consent is True
    assert ticked.customer.consent_source == "woocommerce_checkout"


def test_plugin_cart_with_the_box_unticked_withdraws_nothing():
    (cart,) = HANDLERS["cart.updated"](SHOP, {**load("cart_updated.json"), "consent": False})
    assert (cart.customer.email_consent, cart.customer.consent_source) == (None, None)


def test_variation_maps_to_a_variant_row_titled_by_its_attributes():
    row = variant_row(load("variation.json"))
    assert row == ev.ProductVariant(
        id="733",
        title="Green",
        sku=None,
        price=Decimal("10.00"),
        compare_at_price=None,
        stock=None,
        image_url="https://example.com/wp-content/uploads/2016/10/T_3_front-12.jpg",
    )


def test_an_order_without_a_shipping_address_ships_to_the_billing_one():
    payload = load("order.json")
    # A store without shipping zones sends the shipping block with every field empty.
    payload["shipping"] = {key: "" for key in payload["shipping"]}
    payload["billing"].update(address_1="ul. Długa 5", city="Kraków", postcode="30-001")
    (event, *_) = HANDLERS["order.created"](SHOP, payload)
    assert event.shipping_address["address_1"] == "ul. Długa 5"
    assert event.shipping_address["city"] == "Kraków"
    assert event.shipping_address["phone"] == "(555) 555-5555"
    assert "email" not in event.shipping_address
    # An order that has one keeps its own.
    (shipped, *_) = HANDLERS["order.created"](SHOP, load("order.json"))
    assert shipped.shipping_address["address_1"] == "969 Market"


@pytest.mark.parametrize(
    ("index", "language", "expected"),
    [
        (
            {"name": "Sklep &amp; Dom", "timezone_string": "Europe/Warsaw"},
            "pl_PL",
            ("Sklep & Dom", "Europe/Warsaw", "pl"),
        ),
        (
            {"name": "Magazin", "timezone_string": "", "gmt_offset": "2"},
            "ro_RO",
            ("Magazin", "Etc/GMT-2", "ro"),
        ),
        (
            {"name": "Laden", "timezone_string": "", "gmt_offset": 5.5},
            "de_DE",
            ("Laden", "UTC", "en"),
        ),
    ],
    ids=["city", "whole-hour offset", "half-hour offset and a language we do not speak"],
)
def test_store_name_timezone_and_language_come_from_wordpress(index, language, expected):
    shop = Shop(name="shop.example", timezone="UTC", locale="en")
    apply_site_identity(shop, index, language)
    assert (shop.name, shop.timezone, shop.locale) == expected
