"""Pure mapping of Shopify's documented payloads to canonical events (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from app.connectors.base import ShopRef
from app.connectors.shopify.mapping import HANDLERS, verify_consent
from app.events import types as ev
from tests.support.shopify import DOMAIN, load

SHOP = ShopRef(7, DOMAIN, "USD")
EST = timezone(timedelta(hours=-5))


def test_checkout_becomes_cart_with_restore_url_and_contact():
    cart, contact = HANDLERS["checkouts/create"](SHOP, load("checkouts_create"))
    assert isinstance(cart, ev.CartUpdated) and isinstance(contact, ev.CheckoutContact)
    assert (cart.shop_id, cart.cart_key, cart.currency) == (7, "123123123", "USD")
    assert cart.total == Decimal("421.88")
    assert cart.restore_url == (
        "https://checkout.local/548380009/checkouts/123123123/recover?key=example-secret-token"
    )
    assert cart.updated_at == datetime(2021, 12, 31, 19, tzinfo=EST)
    assert [(i.product_id, i.variant_id, i.quantity, i.unit_price) for i in cart.items] == [
        ("632910392", "808950810", 1, Decimal("199.00"))
    ] * 2
    assert cart.items[0].variant_title == "Pink"
    assert cart.customer.email == "example@email.com"
    assert cart.customer.platform_customer_id == "603851970716743426"
    assert (cart.customer.first_name, cart.customer.last_name) == ("John", "Smith")
    assert contact.cart_key == "123123123"


def test_checkout_without_protected_customer_data_gives_a_cart_but_no_contact():
    payload = load("checkouts_create", email=None, phone=None, customer=None)
    (cart,) = HANDLERS["checkouts/update"](SHOP, payload)
    assert isinstance(cart, ev.CartUpdated)
    assert (cart.customer.email, cart.customer.platform_customer_id) == (None, None)


def test_unticked_marketing_box_says_nothing_about_consent():
    (cart, _contact) = HANDLERS["checkouts/create"](SHOP, load("checkouts_create"))
    assert cart.customer.email_consent is None
    ticked = load(
        "checkouts_create",
        buyer_accepts_marketing=True,
        buyer_accepts_sms_marketing=True,
        sms_marketing_phone="+40722123456",
    )
    customer = HANDLERS["checkouts/create"](SHOP, ticked)[0].customer
    assert (customer.email_consent, customer.sms_consent) == (True, True)
    assert customer.phone == "+40722123456"


@pytest.mark.parametrize(
    ("state", "expected"),
    [("subscribed", True), ("unsubscribed", False), ("not_subscribed", False), ("pending", None)],
)
def test_marketing_consent_states_map_to_our_consent(state, expected):
    customer = {
        "email_marketing_consent": {
            "state": state,
            "opt_in_level": "confirmed_opt_in",
            "consent_updated_at": "2026-11-02T10:15:00-05:00",
        },
        "sms_marketing_consent": {
            "state": "subscribed",
            "opt_in_level": "single_opt_in",
            "consent_updated_at": "2026-11-01T09:00:00-05:00",
            "consent_collected_from": "SHOPIFY",
        },
    }
    consent = verify_consent(customer)
    assert consent["email_consent"] is expected
    assert consent["sms_consent"] is True
    assert consent["consent_updated_at"] == datetime(2026, 11, 2, 15, 15, tzinfo=UTC)


def test_order_carries_totals_items_address_and_checkout_key():
    payload = load("orders_create", checkout_token="123123123")
    (order,) = HANDLERS["orders/create"](SHOP, payload)
    assert isinstance(order, ev.OrderCreated)
    assert (order.order_id, order.order_number, order.cart_key) == (
        "820982911946154508",
        "#9999",
        "123123123",
    )
    assert (order.total, order.currency, order.paid, order.is_cod) == (
        Decimal("404.95"),
        "USD",
        False,
        False,
    )
    assert order.payment_method == "visa"
    assert len(order.items) == 5
    assert order.items[1].product_id == ""  # a custom line with no product
    assert order.shipping_address["city"] == "Shippington"
    assert order.customer.email == "jon@example.com"
    assert order.customer.locale == "en"


def test_paid_and_cancelled_topics_give_their_events():
    (paid,) = HANDLERS["orders/paid"](SHOP, load("orders_create"))
    (cancelled,) = HANDLERS["orders/cancelled"](SHOP, load("orders_create"))
    assert isinstance(paid, ev.OrderPaid) and paid.paid
    assert isinstance(cancelled, ev.OrderCancelled)


def test_cash_on_delivery_gateway_marks_the_order_cod():
    payload = load("orders_create", payment_gateway_names=["Cash on Delivery (COD)"])
    assert HANDLERS["orders/create"](SHOP, payload)[0].is_cod


def test_customer_update_keeps_address_and_identity():
    (update,) = HANDLERS["customers/update"](SHOP, load("customers_create"))
    assert isinstance(update, ev.CustomerUpdated)
    assert update.customer.platform_customer_id == "706405506930370084"
    assert update.customer.email == "bob@biller.com"
    assert update.address["address1"] == "151 O'Connor Street"


def test_product_gets_cheapest_variant_price_url_and_variants():
    (product,) = HANDLERS["products/update"](SHOP, load("products_create"))
    assert isinstance(product, ev.ProductChanged)
    assert (product.product_id, product.title, product.category) == (
        "788032119674292922",
        "Example T-Shirt",
        "Shirts",
    )
    assert product.url == f"https://{DOMAIN}/products/example-t-shirt"
    assert (product.price, product.compare_at_price, product.in_stock) == (
        Decimal("19.99"),
        Decimal("24.99"),
        True,
    )
    assert [v.id for v in product.variants] == ["642667041472713922", "757650484644203962"]
    (deleted,) = HANDLERS["products/delete"](SHOP, load("products_delete"))
    assert deleted == ev.ProductDeleted(shop_id=7, product_id="788032119674292922")


def test_compliance_payloads_name_the_customer_and_orders():
    (redact,) = HANDLERS["customers/redact"](SHOP, load("customers_redact"))
    assert redact.customer.email == "john@example.com"
    assert redact.customer.platform_customer_id == "191167"
    assert redact.order_ids == ("299938", "280263", "220458")
    (request,) = HANDLERS["customers/data_request"](SHOP, load("customers_data_request"))
    assert (request.request_id, request.order_ids[0]) == ("9999", "299938")
    assert HANDLERS["shop/redact"](SHOP, load("shop_redact")) == [ev.ShopRedact(shop_id=7)]
    assert HANDLERS["app/uninstalled"](SHOP, load("app_uninstalled")) == [
        ev.AppUninstalled(shop_id=7)
    ]


def test_payload_without_any_time_is_a_clear_error():
    with pytest.raises(ValueError, match="updated_at"):
        HANDLERS["checkouts/update"](
            SHOP, load("checkouts_create", updated_at=None, created_at=None)
        )
