"""Restore links for flows and the embedded-admin sign-in, against a connected store."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from app.connectors.base import SignatureError
from app.connectors.woocommerce.signing import read_token, sign_token
from app.connectors.woocommerce.tokens import cart_restore_url, embedded_sign_in
from app.events.types import LineItem
from app.models import Cart, ShopScope, db
from tests.support.woocommerce import SECRET, STORE_URL


def test_flow_restore_link_rebuilds_the_cart_with_the_discount_code(woo_shop):
    items = [
        LineItem(product_id="12", quantity=2, unit_price=Decimal("19.99")).as_row(),
        LineItem(product_id="30", variant_id="31", quantity=1).as_row(),
    ]
    cart = ShopScope(woo_shop.id).add(Cart(cart_key="9f2c", items=items))
    db.session.commit()
    url = cart_restore_url(woo_shop, cart, "sf-ab12cd")
    assert url.startswith(f"{STORE_URL}/?storeflow_restore=")
    payload = read_token(SECRET, url.split("=", 1)[1])
    assert (payload["k"], payload["i"], payload["d"]) == (
        "9f2c",
        [[12, 0, 2], [30, 31, 1]],
        "sf-ab12cd",
    )
    assert payload["x"] > time.time() + 13 * 86400


def admin_token(secret: str = SECRET, **overrides):
    payload = {"store": STORE_URL, "user": 3, "exp": int(time.time()) + 300, **overrides}
    return sign_token(secret, payload)


def test_embedded_sign_in_finds_the_store_and_user_the_plugin_vouches_for(woo_shop):
    shop, claims = embedded_sign_in(admin_token())
    assert shop.id == woo_shop.id and claims["user"] == 3


@pytest.mark.parametrize(
    ("token_args", "message"),
    [
        ({"secret": "someone-else"}, "not signed by the store"),
        ({"store": "https://other.example"}, "not connected"),
        ({"exp": 1}, "not signed by the store"),
        ({"store": 42}, "names no store"),
    ],
)
def test_embedded_sign_in_refuses_forged_foreign_or_expired_tokens(woo_shop, token_args, message):
    with pytest.raises(SignatureError, match=message):
        embedded_sign_in(admin_token(**token_args))
