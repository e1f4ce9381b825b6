"""Applying canonical events: upserts that never go back in time and never double-count."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from app.events import types as ev
from app.events.apply import apply
from app.models import AuditLog, Cart, Customer, FlowRun, Order, ShopScope, db
from tests.conftest import ts
from tests.support.statements import statements_sent

T0 = ts("2026-11-20T10:00:00")


def cart_event(shop_id: int, at, quantity: int, **overrides) -> ev.CartUpdated:
    values = dict(
        shop_id=shop_id,
        cart_key="c-1",
        customer=ev.Contact(email="ana@example.com", email_consent=True),
        items=(ev.LineItem(product_id="1001", quantity=quantity, unit_price=Decimal("10")),),
        total=Decimal(10 * quantity),
        currency="PLN",
        updated_at=at,
    )
    values.update(overrides)
    return ev.CartUpdated(**values)


def order_event(cls, shop_id: int, at, **overrides):
    values = dict(
        shop_id=shop_id,
        order_id="o-1",
        cart_key="c-1",
        customer=ev.Contact(email="ana@example.com", platform_customer_id="77"),
        total=Decimal("99.50"),
        currency="PLN",
        created_at=T0,
        paid_at=at if cls is ev.OrderPaid else None,
        updated_at=at,
    )
    values.update(overrides)
    return cls(**values)


def test_older_cart_update_does_not_overwrite_newer(shop):
    apply(cart_event(shop.id, T0 + timedelta(minutes=5), quantity=3))
    apply(cart_event(shop.id, T0, quantity=1))  # arrives late, was sent earlier
    db.session.commit()
    cart = db.session.scalars(sa.select(Cart)).one()
    assert cart.items[0]["quantity"] == 3
    assert cart.platform_updated_at == T0 + timedelta(minutes=5)


def test_same_cart_event_twice_changes_nothing(shop):
    apply(cart_event(shop.id, T0, quantity=2))
    apply(cart_event(shop.id, T0, quantity=2))
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(Cart.id))) == 1
    assert db.session.scalar(sa.select(sa.func.count(Customer.id))) == 1


def test_emptied_cart_is_expired(shop):
    apply(cart_event(shop.id, T0, quantity=2))
    apply(cart_event(shop.id, T0 + timedelta(minutes=1), quantity=0, items=(), total=Decimal(0)))
    db.session.commit()
    assert db.session.scalars(sa.select(Cart)).one().status == "expired"


def test_replayed_order_counts_once_in_customer_totals(shop):
    for _ in range(2):
        apply(order_event(ev.OrderCreated, shop.id, T0))
        apply(order_event(ev.OrderPaid, shop.id, T0 + timedelta(minutes=1)))
    db.session.commit()
    customer = db.session.scalars(sa.select(Customer)).one()
    assert (customer.order_count, customer.total_spent) == (1, Decimal("99.50"))
    assert customer.last_order_at == T0


def test_an_order_of_a_stored_customer_updates_their_details_and_totals_in_one_statement(shop):
    apply(cart_event(shop.id, T0, quantity=1))
    db.session.commit()
    newer = ev.Contact(email="ana@example.com", platform_customer_id="77", locale="ro")
    with statements_sent() as statements:
        apply(order_event(ev.OrderCreated, shop.id, T0 + timedelta(minutes=2), customer=newer))
        db.session.commit()
    customer = db.session.scalars(sa.select(Customer)).one()
    assert (customer.locale, customer.platform_customer_id) == ("ro", "77")
    assert (customer.order_count, customer.total_spent) == (1, Decimal("99.50"))
    assert len([s for s in statements if s.startswith("UPDATE customers")]) == 1, statements


def test_late_order_created_does_not_unpay_a_paid_order(shop):
    apply(order_event(ev.OrderPaid, shop.id, T0 + timedelta(minutes=1)))
    apply(order_event(ev.OrderCreated, shop.id, T0, total=Decimal("1.00")))
    db.session.commit()
    order = db.session.scalars(sa.select(Order)).one()
    assert order.paid is True
    assert order.total == Decimal("99.50")


def test_order_marks_its_cart_converted(shop):
    apply(cart_event(shop.id, T0, quantity=1))
    apply(order_event(ev.OrderCreated, shop.id, T0 + timedelta(minutes=2)))
    db.session.commit()
    assert db.session.scalars(sa.select(Cart)).one().status == "converted"


def test_consent_withdrawal_newer_than_grant_wins_and_older_is_ignored(shop):
    grant = ev.Contact(email="ana@example.com", email_consent=True, consent_updated_at=T0)
    withdraw = ev.Contact(
        email="ana@example.com", email_consent=False, consent_updated_at=T0 + timedelta(days=1)
    )
    apply(ev.CustomerUpdated(shop_id=shop.id, customer=grant, updated_at=T0))
    apply(ev.CustomerUpdated(shop_id=shop.id, customer=withdraw, updated_at=T0 + timedelta(days=1)))
    apply(ev.CustomerUpdated(shop_id=shop.id, customer=grant, updated_at=T0))  # stale replay
    db.session.commit()
    customer = db.session.scalars(sa.select(Customer)).one()
    assert customer.email_consent == "withdrawn"
    assert not customer.is_marketing_allowed()


def _active_run(shop_id: int, key: str, customer_id=None) -> FlowRun:
    run = FlowRun(
        flow_key="abandoned_cart",
        subject_key=key,
        started_at=T0,
        next_step_at=T0,
        customer_id=customer_id,
    )
    return ShopScope(shop_id).add(run)


def test_uninstall_cancels_every_run_and_leaves_the_tokens_to_the_platforms_disconnect(
    shop, make_shop
):
    other = make_shop(n=2)
    for i in range(3):
        _active_run(shop.id, f"cart:{i}")
    _active_run(other.id, "cart:x")
    db.session.commit()
    apply(ev.AppUninstalled(shop_id=shop.id))
    db.session.commit()
    states = dict(db.session.execute(sa.select(FlowRun.subject_key, FlowRun.state)).all())
    assert states == {
        "cart:0": "cancelled",
        "cart:1": "cancelled",
        "cart:2": "cancelled",
        "cart:x": "active",
    }
    db.session.refresh(shop)
    # The platform's disconnect (run by the ingest) may still need them to delete webhooks.
    assert (shop.status, shop.credentials) == ("uninstalled", {"webhook_secret": "s3cret"})


def test_customer_redact_erases_personal_data_and_keeps_anonymous_order(shop):
    apply(order_event(ev.OrderPaid, shop.id, T0, shipping_address={"city": "Kraków"}))
    apply(cart_event(shop.id, T0, quantity=1, cart_key="c-2"))
    db.session.commit()
    apply(
        ev.CustomerRedact(
            shop_id=shop.id,
            customer=ev.Contact(email="ana@example.com", platform_customer_id="77"),
            order_ids=("o-1",),
        )
    )
    db.session.commit()
    customer = db.session.scalars(sa.select(Customer)).one()
    assert (customer.email, customer.phone, customer.first_name) == (None, None, "")
    assert customer.redacted_at is not None
    order = db.session.scalars(sa.select(Order)).one()
    assert (order.email, order.shipping_address, order.total) == (None, {}, Decimal("99.50"))
    assert db.session.scalars(sa.select(Cart)).all() == []


def test_customer_data_request_records_an_export_in_the_audit_log(shop):
    apply(order_event(ev.OrderPaid, shop.id, T0))
    apply(
        ev.CustomerDataRequest(
            shop_id=shop.id, request_id="r-9", customer=ev.Contact(email="ana@example.com")
        )
    )
    db.session.commit()
    entry = db.session.scalars(sa.select(AuditLog)).one()
    assert entry.action == "customer_data_request"
    assert entry.details["customer"]["email"] == "ana@example.com"
    assert entry.details["orders"][0]["id"] == "o-1"
