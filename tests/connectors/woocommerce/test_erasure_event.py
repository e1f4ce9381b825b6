"""The plugin's ``customer.erase`` (its WordPress personal-data eraser forwarding a request)."""

from __future__ import annotations

import pytest

from app.connectors.base import ShopRef
from app.connectors.fields import PayloadError
from app.connectors.woocommerce.mapping import HANDLERS
from app.events import types as ev

SHOP = ShopRef(7, "shop.example", "PLN")


def test_customer_erase_becomes_the_same_redaction_as_shopifys():
    (event,) = HANDLERS["customer.erase"](
        SHOP, {"email": "Ana@Example.pl", "customer_id": 12, "order_ids": [501, "502", 0]}
    )
    assert event == ev.CustomerRedact(
        shop_id=7,
        customer=ev.Contact(email="Ana@Example.pl", platform_customer_id="12"),
        order_ids=("501", "502"),
    )


def test_customer_erase_of_a_guest_names_no_customer_id():
    (event,) = HANDLERS["customer.erase"](SHOP, {"email": "guest@example.pl", "customer_id": 0})
    assert isinstance(event, ev.CustomerRedact)
    assert (event.customer.platform_customer_id, event.order_ids) == (None, ())


@pytest.mark.parametrize(
    "body", [{}, {"email": ""}, {"email": "a@b.pl", "order_ids": "501"}], ids=str
)
def test_customer_erase_without_an_email_or_with_bad_order_ids_is_refused(body):
    with pytest.raises(PayloadError):
        HANDLERS["customer.erase"](SHOP, body)
