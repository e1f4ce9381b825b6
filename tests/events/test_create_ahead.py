"""New customers and carts inserted ahead of a batch's events (``create_ahead``): one INSERT of
many rows each, and everything the events then store exactly what applying them one by one,
each in its own transaction, stores."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from app.events import types as ev
from app.events.apply import apply, create_ahead, read_ahead
from app.flows import abandoned_cart
from app.flows.engine.settings import save_settings
from app.models import Cart, Customer, FlowRun, Order, OrderLine, ShopScope, db
from app.models.batch import batch_memo
from tests.events.test_apply import T0, cart_event, order_event
from tests.support.statements import statements_sent

SOCKS = (ev.LineItem(product_id="2002", quantity=2, unit_price=Decimal("5")),)


def _shop_with_reminders(make_shop: Any, n: int) -> int:
    shop = make_shop(n=n)
    shop.settings = {"address": "ul. Mokotowska 1, 00-640 Warszawa"}
    save_settings(shop.id, abandoned_cart.FLOW, {}, enabled=True)
    # A customer stored before the batch, whom the batch's events name again.
    ShopScope(shop.id).add(
        Customer(email="old@example.com", platform_customer_id="O1", email_consent="granted")
    )
    db.session.commit()
    return shop.id


def _contact(email: str | None, platform_id: str | None = None) -> ev.Contact:
    return ev.Contact(email=email, platform_customer_id=platform_id, email_consent=True)


def _events(shop_id: int) -> list[ev.Event]:
    """A batch that tries every way a row inserted ahead could be met before its event."""
    later = T0 + timedelta(minutes=5)
    return [
        cart_event(shop_id, T0, 1, cart_key="c-1", customer=_contact("ana@example.com")),
        # An order before its own cart (deliveries are not ordered), of a new shopper.
        order_event(ev.OrderCreated, shop_id, T0, order_id="o-2", cart_key="c-2",
                    customer=_contact("bob@example.com", "B1"), items=SOCKS),
        cart_event(shop_id, T0, 2, cart_key="c-2", customer=_contact("bob@example.com", "B1")),
        # The stored customer: their row is the stored one, never a new one.
        cart_event(shop_id, T0, 1, cart_key="c-3", customer=_contact("old@example.com", "O1")),
        # Nobody to name: a cart without a customer.
        cart_event(shop_id, T0, 1, cart_key="c-4", customer=ev.Contact()),
        # Ana again, now signed in: her email was named first, so she is found by it.
        cart_event(shop_id, later, 3, cart_key="c-5", customer=_contact("ana@example.com", "A1")),
        # A checkout contact names the cart first (it inserts it bare), then the update.
        ev.CheckoutContact(shop_id=shop_id, cart_key="c-6", customer=_contact("cy@example.com"),
                           updated_at=T0),
        cart_event(shop_id, later, 1, cart_key="c-6", customer=_contact("cy@example.com")),
        # Eve moves to a new address with her order; her old address then shops as a guest.
        cart_event(shop_id, T0, 1, cart_key="c-7", customer=_contact("eve@example.com", "E1")),
        order_event(ev.OrderPaid, shop_id, later, order_id="o-7", cart_key="c-7",
                    customer=_contact("eve2@example.com", "E1")),
        cart_event(shop_id, later, 1, cart_key="c-8", customer=_contact("eve@example.com")),
        # The stored customer takes an address a newcomer then gives with a platform id of
        # their own: the stored customer is theirs (found by that address), not a new one.
        cart_event(shop_id, later, 1, cart_key="c-9", customer=_contact("new@example.com", "O1")),
        cart_event(shop_id, later, 1, cart_key="c-10", customer=_contact("new@example.com", "N1")),
    ]  # fmt: skip


def _stored(shop_id: int) -> dict[str, Any]:
    """What the shop holds, named by keys and emails (ids differ between shops)."""
    scope = ShopScope(shop_id)
    email_of = {c.id: c.email for c in scope.all(Customer)}
    customers = sorted(
        (c.email, c.platform_customer_id, c.email_consent, c.order_count, str(c.total_spent))
        for c in scope.all(Customer)
    )
    carts = sorted(
        (c.cart_key, email_of.get(c.customer_id), c.status, c.email, str(c.total),
         [i["quantity"] for i in c.items], c.platform_updated_at)
        for c in scope.all(Cart)
    )  # fmt: skip
    orders = sorted(
        (o.platform_order_id, email_of.get(o.customer_id), o.cart_key, o.paid_at, str(o.total))
        for o in scope.all(Order)
    )
    lines = sorted((line.platform_product_id, line.quantity) for line in scope.all(OrderLine))
    runs = sorted(
        (r.flow_key, r.subject_key, email_of.get(r.customer_id), r.state, r.end_reason)
        for r in scope.all(FlowRun)
    )
    return {"customers": customers, "carts": carts, "orders": orders, "lines": lines, "runs": runs}


def _applied_as_a_batch(events: list[ev.Event]) -> list[str]:
    """Apply the events as the drain does (read ahead, insert ahead, then one by one) and
    commit; the statements sent from inserting ahead on."""
    with batch_memo(db.session()):
        read_ahead(events)
        with statements_sent() as statements:
            create_ahead(events)
            for event in events:
                apply(event)
    db.session.commit()
    return statements


def test_a_batch_with_rows_inserted_ahead_stores_what_its_events_one_by_one_store(make_shop):
    one_by_one, batched = _shop_with_reminders(make_shop, 1), _shop_with_reminders(make_shop, 2)
    for event in _events(one_by_one):
        apply(event)
        db.session.commit()

    statements = _applied_as_a_batch(_events(batched))

    # Inserted ahead: the customers whose keys the batch names first, their new carts and
    # their new orders.
    ahead = [s.split(" (")[0] for s in statements if s.startswith("INSERT")][:3]
    assert ahead == ["INSERT INTO customers", "INSERT INTO carts", "INSERT INTO orders"]
    expected = _stored(one_by_one)
    assert _stored(batched) == expected
    # The positive path: what the comparison compares is there.
    assert ("c-8", "eve@example.com", "active") in [c[:3] for c in expected["carts"]]
    assert ("eve2@example.com", "E1") in [c[:2] for c in expected["customers"]]
    assert ("ana@example.com", "A1") in [c[:2] for c in expected["customers"]]
    assert ("c-2", "bob@example.com", "converted") in [c[:3] for c in expected["carts"]]
    assert ("o-2", "bob@example.com", "c-2") in [o[:3] for o in expected["orders"]]
    assert ("bob@example.com", "B1", "granted", 1) in [c[:4] for c in expected["customers"]]
    assert ("c-4", None, "active") in [c[:3] for c in expected["carts"]]
    assert ("c-10", "new@example.com") in [c[:2] for c in expected["carts"]]
    assert ("new@example.com", "O1") in [c[:2] for c in expected["customers"]]
    assert expected["lines"] == [("2002", 2)]
    assert len(expected["runs"]) >= 4


def test_new_shoppers_carts_in_a_batch_cost_one_insert_of_customers_and_one_of_carts(flow_shop):
    events = [
        cart_event(flow_shop.id, T0, 1, cart_key=f"c-{n}", customer=_contact(f"s{n}@example.com"))
        for n in range(5)
    ]
    statements = _applied_as_a_batch(events)

    inserts = [s.split("(")[0].strip() for s in statements if s.startswith("INSERT")]
    assert inserts.count("INSERT INTO customers") == 1
    assert inserts.count("INSERT INTO carts") == 1
    carts = ShopScope(flow_shop.id).all(Cart)
    owners = {c.id: c.email for c in ShopScope(flow_shop.id).all(Customer)}
    assert sorted((c.cart_key, owners[c.customer_id]) for c in carts) == [
        (f"c-{n}", f"s{n}@example.com") for n in range(5)
    ]
    runs = ShopScope(flow_shop.id).all(FlowRun)
    assert sorted(r.subject_key for r in runs) == [f"cart:c-{n}" for n in range(5)]


def test_a_shop_whose_batch_holds_an_erasure_inserts_nothing_ahead(flow_shop):
    events = [
        cart_event(flow_shop.id, T0, 1, cart_key="c-1", customer=_contact("ana@example.com")),
        ev.CustomerRedact(shop_id=flow_shop.id, customer=_contact("zoe@example.com"), order_ids=()),
        cart_event(flow_shop.id, T0, 1, cart_key="c-2", customer=_contact("bob@example.com")),
    ]
    with batch_memo(db.session()):
        with statements_sent() as statements:
            create_ahead(events)
        for event in events:
            apply(event)
    db.session.commit()

    assert statements == []
    emails = sorted(c.email for c in ShopScope(flow_shop.id).all(Customer))
    assert emails == ["ana@example.com", "bob@example.com"]


def test_outside_a_batch_nothing_is_inserted_ahead(shop):
    event = cart_event(shop.id, T0, 1, total=Decimal("10"))
    with statements_sent() as statements:
        create_ahead([event])
    assert statements == []
    apply(event)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(Cart.id))) == 1
