"""A batch's locked rows: found again by shop and key without a query, and forgotten when a
bulk change the session does not follow (an erasure) or a delete may have changed them."""

from __future__ import annotations

import sqlalchemy as sa

from app.models import Cart, Customer, ShopScope, db
from app.models.batch import batch_memo, keep_locked
from tests.support.statements import statements_sent


def _locked(model, *criteria):
    return db.session.scalars(sa.select(model).where(*criteria).with_for_update()).one()


def test_a_row_locked_in_a_batch_is_found_again_by_its_key_without_a_query(cart, make_shop):
    shop_id, other_shop = cart.shop_id, make_shop(n=2).id
    with batch_memo(db.session()):
        locked = _locked(Cart, Cart.id == cart.id)
        keep_locked(db.session(), locked, "cart_key")
        with statements_sent() as statements:
            found = ShopScope(shop_id).by_key(Cart, "cart_key", "c-1")
        # Another shop's scope never gets it: it asks the database, which has none there.
        assert ShopScope(other_shop).by_key(Cart, "cart_key", "c-1") is None

    assert found is locked and statements == []


def test_outside_a_batch_the_key_is_looked_up_in_the_database(cart):
    shop_id, cart_id = cart.shop_id, cart.id
    keep_locked(db.session(), cart, "cart_key")  # no batch: nothing is kept
    with statements_sent() as statements:
        found = ShopScope(shop_id).by_key(Cart, "cart_key", "c-1")

    assert found is not None and found.id == cart_id
    assert len(statements) == 1


def test_an_update_the_session_does_not_follow_makes_the_batch_forget_its_rows(customer):
    shop_id = customer.shop_id
    with batch_memo(db.session()):
        locked = _locked(Customer, Customer.id == customer.id)
        keep_locked(db.session(), locked, "email")
        # As an erasure does: the stored email goes, the row in the session does not know it.
        db.session.execute(
            ShopScope(shop_id)
            .update(Customer, Customer.id == locked.id)
            .values(email=None)
            .execution_options(synchronize_session=False)
        )
        found = ShopScope(shop_id).by_key(Customer, "email", "ola@example.com")

    assert found is None


def test_a_deleted_row_is_not_found_again(cart):
    shop_id = cart.shop_id
    with batch_memo(db.session()):
        locked = _locked(Cart, Cart.id == cart.id)
        keep_locked(db.session(), locked, "cart_key")
        db.session.execute(ShopScope(shop_id).delete(Cart, Cart.id == locked.id))
        found = ShopScope(shop_id).by_key(Cart, "cart_key", "c-1")

    assert found is None


def test_a_row_whose_key_changed_in_the_session_is_not_found_by_the_old_key(customer):
    shop_id = customer.shop_id
    with batch_memo(db.session()):
        locked = _locked(Customer, Customer.id == customer.id)
        keep_locked(db.session(), locked, "email")
        locked.email = "ola.nowak@example.com"
        found = ShopScope(shop_id).by_key(Customer, "email", "ola@example.com")

    assert found is None
