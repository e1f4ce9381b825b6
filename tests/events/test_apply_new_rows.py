"""A new customer, cart or order is inserted already holding what its event says: the same row as an
existing bare one (only its keys) updated by that event, in one INSERT instead of two
statements."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from app.events import types as ev
from app.events.apply import apply, upsert_customer
from app.flows import welcome
from app.flows.engine.settings import save_settings
from app.models import Cart, Customer, Order, db
from tests.conftest import SHOP_ADDRESS
from tests.events.test_apply import T0, cart_event, order_event

_NOT_COMPARED = {"id", "shop_id", "created_at", "updated_at"}
CONTACTS = {
    "all details, email yes, sms no": ev.Contact(
        email="Ana@Example.com",
        platform_customer_id="77",
        first_name="Ana",
        last_name="Nowak",
        phone="+48600100200",
        locale="pl",
        email_consent=True,
        sms_consent=False,
        consent_updated_at=T0 - timedelta(hours=1),
        consent_source="checkout",
    ),
    "email only, refused": ev.Contact(email="bob@example.com", email_consent=False),
    "platform id only": ev.Contact(platform_customer_id="88", first_name="Cid"),
    "sign-up confirmed by the platform": ev.Contact(
        email="dee@example.com", email_consent=True, email_opt_in_confirmed=True
    ),
}


def _row(model: type[Any], row_id: int) -> dict[str, Any]:
    row = db.session.get(model, row_id)
    return {c.key: getattr(row, c.key) for c in model.__table__.columns} if row else {}


def _compared(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if key not in _NOT_COMPARED}


@pytest.fixture()
def two_shops(make_shop, request):
    shops = [make_shop(n=n, settings={"address": SHOP_ADDRESS}) for n in (1, 2)]
    if request.param:
        for shop in shops:
            save_settings(shop.id, welcome.FLOW, {"double_opt_in": "on"}, enabled=True)
    db.session.commit()
    return [shop.id for shop in shops]


@pytest.mark.parametrize("two_shops", [False, True], ids=["single", "double opt-in"], indirect=True)
@pytest.mark.parametrize("contact", CONTACTS.values(), ids=CONTACTS.keys())
def test_a_new_customer_holds_what_the_contact_makes_of_an_existing_bare_one(two_shops, contact):
    new_shop, known_shop = two_shops
    email = contact.email.lower() if contact.email else None
    bare = Customer(
        shop_id=known_shop, platform_customer_id=contact.platform_customer_id, email=email
    )
    db.session.add(bare)
    db.session.commit()

    created = upsert_customer(new_shop, contact, T0)
    updated = upsert_customer(known_shop, contact, T0)
    assert created is not None and updated is not None and updated.id == bare.id
    ids = created.id, updated.id
    db.session.commit()

    made, known = _row(Customer, ids[0]), _row(Customer, ids[1])
    assert _compared(made) == _compared(known)
    assert made["platform_updated_at"] == T0 and made["email"] == email


CARTS = {
    "with items": {},
    "emptied": {"items": (), "total": Decimal("0")},
    "with restore link and token": {
        "restore_url": "https://shop.example/cart/c-1",
        "platform_cart_token": "tok-1",
    },
}


@pytest.mark.parametrize("changes", CARTS.values(), ids=CARTS.keys())
def test_a_new_cart_holds_what_the_update_makes_of_an_existing_bare_one(make_shop, changes):
    new_shop, known_shop = (make_shop(n=n).id for n in (1, 2))
    db.session.add(Cart(shop_id=known_shop, cart_key="c-1", currency="PLN"))
    db.session.commit()

    apply(cart_event(new_shop, T0, quantity=2, **changes))
    apply(cart_event(known_shop, T0, quantity=2, **changes))
    db.session.commit()

    made, known = (
        _row(Cart, db.session.scalars(sa.select(Cart.id).where(Cart.shop_id == shop)).one())
        for shop in (new_shop, known_shop)
    )
    customers = dict(db.session.execute(sa.select(Customer.shop_id, Customer.id)).all())
    assert (made["customer_id"], known["customer_id"]) == (
        customers[new_shop],
        customers[known_shop],
    )
    assert _compared(made) | {"customer_id": 0} == _compared(known) | {"customer_id": 0}
    assert made["platform_updated_at"] == T0 and made["email"] == "ana@example.com"


ORDERS = {
    "created": (ev.OrderCreated, {}),
    "paid, with lines and address": (
        ev.OrderPaid,
        {
            "items": (ev.LineItem(product_id="1001", quantity=2, unit_price=Decimal("10")),),
            "shipping_address": {"city": "Kraków"},
            "order_number": "#1001",
        },
    ),
    "cancelled, no cart": (ev.OrderCancelled, {"cart_key": None}),
}


@pytest.mark.parametrize(("kind", "changes"), ORDERS.values(), ids=ORDERS.keys())
def test_a_new_order_holds_what_its_event_makes_of_an_existing_bare_one(make_shop, kind, changes):
    new_shop, known_shop = (make_shop(n=n).id for n in (1, 2))
    # As a refund that came before its order leaves it: the keys, a time, a currency.
    db.session.add(Order(shop_id=known_shop, platform_order_id="o-1", placed_at=T0, currency="PLN"))
    db.session.commit()

    apply(order_event(kind, new_shop, T0, **changes))
    apply(order_event(kind, known_shop, T0, **changes))
    db.session.commit()

    made, known = (
        _row(Order, db.session.scalars(sa.select(Order.id).where(Order.shop_id == shop)).one())
        for shop in (new_shop, known_shop)
    )
    assert _compared(made) | {"customer_id": 0} == _compared(known) | {"customer_id": 0}
    assert made["customer_id"] is not None and made["platform_updated_at"] == T0
