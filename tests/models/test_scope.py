"""Tenant isolation through the shop-scoped query helper."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.models import Customer, ShopScope, TenantError, db
from app.models.scope import shop_row_ids, shop_rows


@pytest.fixture()
def two_shops(make_shop):
    a, b = make_shop(n=1), make_shop(n=2)
    db.session.add_all(
        [
            Customer(shop_id=a.id, email="a@example.com"),
            Customer(shop_id=b.id, email="b@example.com"),
        ]
    )
    db.session.commit()
    return a, b


def test_scope_cannot_read_another_shops_rows(two_shops):
    a, b = two_shops
    scope = ShopScope(a.id)
    b_customer = ShopScope(b.id).first(Customer)
    assert [c.email for c in scope.all(Customer)] == ["a@example.com"]
    assert scope.get(Customer, b_customer.id) is None
    assert scope.first(Customer, Customer.email == "b@example.com") is None


_BY_EMAIL = shop_rows(Customer, Customer.email == sa.bindparam("email"))
_ID_BY_EMAIL = shop_row_ids(Customer, Customer.email == sa.bindparam("email"))


def test_a_statement_built_once_reads_only_the_running_scopes_rows(two_shops):
    a, b = two_shops

    found = ShopScope(a.id).run(_BY_EMAIL, email="a@example.com").scalars().all()

    assert [(c.shop_id, c.email) for c in found] == [(a.id, "a@example.com")]
    assert ShopScope(a.id).run(_BY_EMAIL, email="b@example.com").scalars().all() == []
    assert ShopScope(a.id).has(_ID_BY_EMAIL, email="a@example.com")
    assert not ShopScope(a.id).has(_ID_BY_EMAIL, email="b@example.com")
    assert ShopScope(b.id).has(_ID_BY_EMAIL, email="b@example.com")


def test_a_statement_built_once_run_without_a_scope_fails_rather_than_read_every_shop(two_shops):
    a, _b = two_shops
    assert ShopScope(a.id).has(_ID_BY_EMAIL, email="a@example.com")  # it does run in a scope

    with pytest.raises(sa.exc.StatementError, match="scope_shop_id"):
        db.session.execute(_BY_EMAIL, {"email": "a@example.com"})


def test_scoped_update_and_delete_leave_other_shops_alone(two_shops):
    a, b = two_shops
    db.session.execute(ShopScope(a.id).update(Customer).values(first_name="Changed"))
    db.session.execute(ShopScope(a.id).delete(Customer, Customer.email == "b@example.com"))
    db.session.commit()
    b_customer = ShopScope(b.id).first(Customer)
    assert b_customer is not None and b_customer.first_name == ""


def test_guard_filters_even_queries_written_without_the_helper(two_shops):
    a, _ = two_shops
    with ShopScope(a.id).guard():
        emails = db.session.scalars(sa.select(Customer.email)).all()
    assert emails == ["a@example.com"]
    assert len(db.session.scalars(sa.select(Customer)).all()) == 2  # guard is gone after


def test_add_refuses_a_row_of_another_shop(two_shops):
    a, b = two_shops
    with pytest.raises(TenantError):
        ShopScope(a.id).add(Customer(shop_id=b.id, email="x@example.com"))


def test_locked_get_sees_what_another_transaction_committed(app, two_shops):
    a, _ = two_shops
    scope = ShopScope(a.id)
    stale = scope.first(Customer)  # loaded into this session
    with app.app_context():  # another session commits a change meanwhile
        other = ShopScope(a.id).first(Customer)
        other.first_name = "Changed elsewhere"
        db.session.commit()
        db.session.remove()
    locked = scope.get(Customer, stale.id, for_update=True)
    assert locked.first_name == "Changed elsewhere"
