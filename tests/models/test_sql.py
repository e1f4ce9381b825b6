"""The one INSERT-or-nothing writers share: ``insert_new_row`` hands back the row it made."""

from __future__ import annotations

import sqlalchemy as sa

from app.models import Cart, ShopScope, db
from app.models.sql import insert_new_row


def test_a_new_row_comes_back_loaded_with_its_defaults_and_is_stored(shop):
    cart = insert_new_row(Cart, {"shop_id": shop.id, "cart_key": "k-1", "currency": "EUR"})

    assert cart is not None and cart.id is not None
    assert (cart.cart_key, cart.currency, cart.status, cart.items) == ("k-1", "EUR", "active", [])
    db.session.commit()
    stored = ShopScope(shop.id).first(Cart, Cart.cart_key == "k-1")
    assert stored is not None and stored.id == cart.id


def test_a_row_whose_key_exists_gives_none_and_is_left_as_it_was(cart):
    assert insert_new_row(Cart, {"shop_id": cart.shop_id, "cart_key": cart.cart_key}) is None

    db.session.commit()
    rows = db.session.execute(sa.select(Cart.cart_key, Cart.currency, Cart.total)).all()
    assert rows == [(cart.cart_key, "PLN", 378)]
