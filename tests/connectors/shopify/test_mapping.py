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
    payload = load("orders_create", checkout_token="123123123", cancelled_at=None)
    (order,) = HANDLERS["orders/create"](SHOP, payload)  # financial_status "voided": not paid
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


def test_the_documented_order_sample_is_cancelled_not_paid_whichever_topic_carries_it():
    # The sample has cancelled_at set and financial_status "voided".
    for topic in ("orders/create", "orders/updated", "orders/paid", "orders/cancelled"):
        events = HANDLERS[topic](SHOP, load("orders_create"))
        assert isinstance(events[-1], ev.OrderCancelled), topic
        assert not any(e.paid for e in events if isinstance(e, ev._OrderEvent)), topic
    placed, cancelled = HANDLERS["orders/create"](SHOP, load("orders_create"))
    assert (type(placed), type(cancelled)) == (ev.OrderCreated, ev.OrderCancelled)


def test_a_paid_body_is_paid_from_that_update_and_a_pending_one_only_placed():
    paid_body = load(
        "orders_create",
        cancelled_at=None,
        financial_status="paid",
        updated_at="2022-01-02T10:00:00-05:00",
    )
    (paid,) = HANDLERS["orders/paid"](SHOP, paid_body)
    assert isinstance(paid, ev.OrderPaid)
    assert paid.paid_at == datetime(2022, 1, 2, 15, 0, tzinfo=UTC)
    assert paid.created_at == datetime(2022, 1, 1, 0, 0, tzinfo=UTC)  # processed_at: placed
    cod = load(
        "orders_create",
        cancelled_at=None,
        financial_status="pending",
        payment_gateway_names=["Cash on Delivery (COD)"],
    )
    (placed,) = HANDLERS["orders/create"](SHOP, cod)
    assert isinstance(placed, ev.OrderCreated) and placed.is_cod and placed.paid_at is None
    (updated,) = HANDLERS["orders/updated"](SHOP, {**cod, "financial_status": "paid"})
    assert isinstance(updated, ev.OrderPaid) and updated.paid


def test_refunds_create_reports_the_money_its_successful_refund_transactions_gave_back():
    (refund,) = HANDLERS["refunds/create"](SHOP, load("refunds_create"))
    assert isinstance(refund, ev.OrderRefunded)
    assert (refund.order_id, refund.refund_id) == ("820982911946154508", "890088186047892319")
    assert refund.amount == Decimal("85.00")  # 75.00 + 10.00, both "success"
    assert refund.refunded_at == datetime(2022, 1, 1, 0, 0, tzinfo=UTC)
    failed = load("refunds_create")
    failed["transactions"][1]["status"] = "failure"
    assert HANDLERS["refunds/create"](SHOP, failed)[0].amount == Decimal("75.00")


def test_an_updated_order_reports_the_refunds_and_fulfilments_it_carries():
    body = load(
        "orders_create",
        cancelled_at=None,
        financial_status="partially_refunded",
        refunds=[load("refunds_create")],
        fulfillments=[load("fulfillments_create")],
    )
    paid, refund, fulfilled = HANDLERS["orders/updated"](SHOP, body)
    assert isinstance(paid, ev.OrderPaid)
    assert (refund.refund_id, refund.amount) == ("890088186047892319", Decimal("85.00"))
    assert isinstance(fulfilled, ev.OrderFulfilled)


def test_a_fulfilment_created_or_updated_is_the_order_sent_unless_cancelled():
    (sent,) = HANDLERS["fulfillments/create"](SHOP, load("fulfillments_create"))
    assert isinstance(sent, ev.OrderFulfilled)
    assert sent.order_id == "820982911946154508"
    assert sent.fulfilled_at == datetime(2022, 1, 1, 0, 0, tzinfo=UTC)
    delivered = load("fulfillments_create", status="success", shipment_status="delivered")
    assert len(HANDLERS["fulfillments/update"](SHOP, delivered)) == 1
    cancelled = load("fulfillments_create", status="cancelled")
    assert HANDLERS["fulfillments/update"](SHOP, cancelled) == []


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
