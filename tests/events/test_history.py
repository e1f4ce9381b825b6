"""The set-based history import: what it writes, that it writes it once, and what it never does."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from app.connectors.base import ShopRef
from app.connectors.shopify.mapping import HANDLERS
from app.events import types as ev
from app.events.apply import apply
from app.events.history import import_history
from app.models import (
    Customer,
    FlowRun,
    FlowSetting,
    Message,
    Order,
    OrderLine,
    Shipment,
    Shop,
    ShopScope,
    db,
)
from app.pipeline import queues
from tests.support.shopify import load

CONNECTED = datetime(2026, 11, 1, tzinfo=UTC)


def shopify_order(n: int, *, customer: int | None = None, **changes: Any) -> dict[str, Any]:
    """The documented orders/create sample as order ``n`` of customer ``customer`` (default
    ``n``), placed ``n`` days into 2024 and paid; ``changes`` replace top-level fields."""
    who = n if customer is None else customer
    at = (datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=n)).isoformat()
    body = load("orders_create")
    body.update(
        id=5000 + n,
        name=f"#{1000 + n}",
        email=f"shopper{who}@example.com",
        financial_status="paid",
        cancelled_at=None,
        created_at=at,
        processed_at=at,
        updated_at=at,
    )
    body["customer"] = {**body["customer"], "id": 9000 + who, "email": body["email"]}
    body.update(changes)
    return body


def events_of(shop: Shop, *bodies: dict[str, Any]) -> list[ev.Event]:
    ref = ShopRef.of(shop)
    return [event for body in bodies for event in HANDLERS["orders/updated"](ref, body)]


@pytest.fixture()
def connected_shop(make_shop: Callable[..., Shop]) -> Shop:
    """A Shopify shop connected on CONNECTED, with its order flows switched on."""
    shop = make_shop(platform="shopify", domain="history.myshopify.com", installed_at=CONNECTED)
    for key in ("cross_sell", "reactivation", "abandoned_cart"):
        ShopScope(shop.id).add(FlowSetting(flow_key=key, enabled=True, values={}))
    db.session.commit()
    return shop


def count(shop_id: int, model: type[Any]) -> int:
    return int(
        db.session.scalar(ShopScope(shop_id).select(model).with_only_columns(sa.func.count())) or 0
    )


def customers_of(shop: Shop) -> dict[str | None, Customer]:
    rows = db.session.scalars(ShopScope(shop.id).select(Customer)).all()
    return {c.platform_customer_id: c for c in rows}


def test_history_import_writes_customers_orders_lines_and_totals(connected_shop: Shop) -> None:
    bodies = [shopify_order(1), shopify_order(2, customer=1), shopify_order(3)]
    counts = import_history(connected_shop.id, events_of(connected_shop, *bodies))
    db.session.commit()

    assert (counts.orders, counts.customers) == (3, 2)
    orders = db.session.scalars(ShopScope(connected_shop.id).select(Order)).all()
    assert sorted(o.platform_order_id for o in orders) == ["5001", "5002", "5003"]
    # The sample's lines that name a product (a custom line names none: no order line).
    line_count = sum(1 for row in load("orders_create")["line_items"] if row["product_id"])
    assert line_count > 0
    assert counts.lines == 3 * line_count
    stored_lines = db.session.scalars(ShopScope(connected_shop.id).select(OrderLine)).all()
    assert len(stored_lines) == 3 * line_count
    assert all(line.placed_at < CONNECTED for line in stored_lines)
    first = customers_of(connected_shop)["9001"]
    assert first.email == "shopper1@example.com"
    assert first.order_count == 2
    assert first.first_order_at == datetime(2024, 1, 2, tzinfo=UTC)
    assert first.last_order_at == datetime(2024, 1, 3, tzinfo=UTC)
    assert first.total_spent == 2 * Decimal(load("orders_create")["total_price"])
    assert all(o.paid_at is not None and o.customer_id is not None for o in orders)


def test_history_import_stores_what_the_event_path_stores(
    connected_shop: Shop, make_shop: Callable[..., Shop]
) -> None:
    other = make_shop(platform="shopify", domain="events.myshopify.com", installed_at=CONNECTED)
    refund = copy.deepcopy(load("refunds_create"))
    bodies = [
        shopify_order(1),
        shopify_order(2, customer=1, refunds=[refund]),
        shopify_order(3, cancelled_at="2024-01-05T10:00:00Z"),
        shopify_order(4, customer=None, email="guest@example.com", phone="+48500100200"),
    ]
    bodies[3]["customer"] = None
    import_history(connected_shop.id, events_of(connected_shop, *bodies))
    for event in events_of(other, *bodies):
        apply(event)
    db.session.commit()

    def snapshot(shop: Shop) -> list[tuple[Any, ...]]:
        customers = {c.id: c.platform_customer_id or c.email for c in customers_of(shop).values()}
        orders = db.session.scalars(
            ShopScope(shop.id).select(Order).order_by(Order.platform_order_id)
        ).all()
        rows: list[tuple[Any, ...]] = [
            (
                o.platform_order_id, o.order_number, customers.get(o.customer_id), o.email,
                o.items, o.total, o.currency, o.cancelled, o.payment_method, o.is_cod,
                o.shipping_address, o.placed_at, o.paid_at, o.fulfilled_at, o.refunds,
                o.refunded, o.platform_updated_at,
                sorted((x.platform_product_id, x.platform_variant_id, x.quantity, x.unit_price)
                       for x in db.session.scalars(
                           ShopScope(shop.id).select(OrderLine, OrderLine.order_id == o.id))),
            )
            for o in orders
        ]  # fmt: skip
        for c in sorted(customers_of(shop).values(), key=lambda c: c.email or ""):
            rows.append(
                (c.platform_customer_id, c.email, c.phone, c.first_name, c.last_name,
                 c.locale, c.email_consent, c.sms_consent, c.order_count, c.total_spent,
                 c.first_order_at, c.last_order_at, c.platform_updated_at)
            )  # fmt: skip
        return rows

    imported, applied = snapshot(connected_shop), snapshot(other)
    assert len(imported) == 4 + 3
    assert imported == applied


def test_importing_the_same_history_twice_changes_nothing(connected_shop: Shop) -> None:
    bodies = [shopify_order(n, customer=n % 2) for n in range(1, 7)]
    import_history(connected_shop.id, events_of(connected_shop, *bodies))
    db.session.commit()
    scope = ShopScope(connected_shop.id)

    def state() -> tuple[Any, ...]:
        return (
            sorted((o.id, o.platform_order_id, o.total, o.customer_id) for o in
                   db.session.scalars(scope.select(Order))),
            sorted((c.id, c.order_count, c.total_spent, c.last_order_at) for c in
                   db.session.scalars(scope.select(Customer))),
            db.session.scalar(scope.select(OrderLine).with_only_columns(sa.func.count())),
        )  # fmt: skip

    before = state()
    import_history(connected_shop.id, events_of(connected_shop, *bodies))
    db.session.commit()
    db.session.expire_all()
    assert state() == before
    assert len(before[0]) == 6 and len(before[1]) == 2


def test_a_newer_state_updates_an_imported_order_and_an_older_one_does_not(
    connected_shop: Shop,
) -> None:
    import_history(connected_shop.id, events_of(connected_shop, shopify_order(1)))
    db.session.commit()
    newer = shopify_order(1, total_price="10.00", cancelled_at="2024-03-01T00:00:00Z",
                          updated_at="2024-03-01T00:00:00Z")  # fmt: skip
    older = shopify_order(1, total_price="99.00", updated_at="2023-12-01T00:00:00Z")
    import_history(connected_shop.id, events_of(connected_shop, newer))
    import_history(connected_shop.id, events_of(connected_shop, older))
    db.session.commit()

    order = ShopScope(connected_shop.id).first(Order)
    assert order is not None
    assert (order.total, order.cancelled) == (Decimal("10.00"), True)
    # Cancelled: it no longer counts for the customer.
    assert customers_of(connected_shop)["9001"].order_count == 0


def test_history_import_starts_no_flow_sends_nothing_and_queues_nothing(
    connected_shop: Shop,
) -> None:
    bodies = [shopify_order(n) for n in range(1, 20)]
    for body in bodies:
        body["customer"]["email_marketing_consent"] = {
            "state": "subscribed", "opt_in_level": "confirmed_opt_in",
            "consent_updated_at": body["created_at"],
        }  # fmt: skip
    import_history(connected_shop.id, events_of(connected_shop, *bodies))
    db.session.commit()

    assert count(connected_shop.id, Order) == 19
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FlowRun)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Shipment)) == 0
    assert all(queues.queue(name).count == 0 for name in queues.QUEUES)


def _consent(state: str, at: str, level: str = "single_opt_in") -> dict[str, Any]:
    return {"state": state, "opt_in_level": level, "consent_updated_at": at}


def test_history_consent_follows_the_platform_and_never_goes_back_in_time(
    connected_shop: Shop, make_customer: Callable[..., Customer]
) -> None:
    # Customer 1 unsubscribed in our own records after the shop's old statement.
    make_customer(
        connected_shop, email="shopper1@example.com", platform_customer_id="9001",
        email_consent="withdrawn", email_consent_at=datetime(2025, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    one = shopify_order(1)
    one["customer"]["email_marketing_consent"] = _consent("subscribed", "2024-01-02T00:00:00Z")
    two = shopify_order(2)
    two["customer"]["email_marketing_consent"] = _consent("subscribed", "2024-01-03T00:00:00Z")
    three = shopify_order(3)
    three["customer"]["email_marketing_consent"] = _consent("not_subscribed", "2024-01-04T01:00Z")
    four = shopify_order(4)  # says nothing about consent
    four["buyer_accepts_marketing"] = False
    import_history(connected_shop.id, events_of(connected_shop, one, two, three, four))
    db.session.commit()

    customers = customers_of(connected_shop)
    assert customers["9001"].email_consent == "withdrawn"  # the older "yes" changes nothing
    assert customers["9002"].email_consent == "granted"
    assert customers["9002"].email_consent_source == "shopify"
    assert customers["9003"].email_consent == "denied"
    assert customers["9004"].email_consent == "unknown"


def test_history_consent_waits_for_double_opt_in_unless_the_platform_confirmed_it(
    connected_shop: Shop,
) -> None:
    ShopScope(connected_shop.id).add(
        FlowSetting(flow_key="welcome", enabled=True, values={"double_opt_in": "on"})
    )
    db.session.commit()
    single, confirmed = shopify_order(1), shopify_order(2)
    single["customer"]["email_marketing_consent"] = _consent("subscribed", "2024-01-02T00:00:00Z")
    confirmed["customer"]["email_marketing_consent"] = _consent(
        "subscribed", "2024-01-03T00:00:00Z", "confirmed_opt_in"
    )
    import_history(connected_shop.id, events_of(connected_shop, single, confirmed))
    db.session.commit()

    customers = customers_of(connected_shop)
    assert customers["9001"].email_consent == "pending"
    assert customers["9002"].email_consent == "granted"


def test_a_guest_known_by_email_takes_the_platform_id_and_keeps_one_row(
    connected_shop: Shop, make_customer: Callable[..., Customer]
) -> None:
    guest = make_customer(connected_shop, email="shopper1@example.com", platform_customer_id=None)
    import_history(connected_shop.id, events_of(connected_shop, shopify_order(1)))
    db.session.commit()
    db.session.expire_all()

    rows = customers_of(connected_shop)
    assert list(rows) == ["9001"]
    assert rows["9001"].id == guest.id
    assert rows["9001"].order_count == 1


def test_a_redacted_customer_is_not_written_again(
    connected_shop: Shop, make_customer: Callable[..., Customer]
) -> None:
    erased = make_customer(
        connected_shop, email=None, platform_customer_id="9001", first_name="",
        redacted_at=datetime(2025, 1, 1, tzinfo=UTC), email_consent="unknown",
    )  # fmt: skip
    body = shopify_order(1)
    body["customer"]["email_marketing_consent"] = _consent("subscribed", "2024-01-02T00:00:00Z")
    import_history(connected_shop.id, events_of(connected_shop, body))
    db.session.commit()
    db.session.expire_all()

    again = db.session.get(Customer, erased.id)
    assert again is not None
    assert (again.email, again.first_name, again.email_consent) == (None, "", "unknown")


def test_one_shops_history_never_touches_another_shop(
    connected_shop: Shop, make_shop: Callable[..., Shop], make_customer: Callable[..., Customer]
) -> None:
    other = make_shop(platform="shopify", domain="other.myshopify.com", installed_at=CONNECTED)
    theirs = make_customer(other, email="shopper1@example.com", platform_customer_id="9001",
                           first_name="Ola", email_consent="granted")  # fmt: skip
    import_history(other.id, events_of(other, shopify_order(7)))
    db.session.commit()
    other_before = sorted(
        (o.id, o.platform_order_id, o.total, o.updated_at)
        for o in db.session.scalars(ShopScope(other.id).select(Order))
    )

    import_history(connected_shop.id, events_of(connected_shop, shopify_order(1), shopify_order(7)))
    db.session.commit()
    db.session.expire_all()

    again = db.session.get(Customer, theirs.id)
    assert again is not None
    assert (again.first_name, again.email_consent, again.order_count) == ("Ola", "granted", 0)
    assert other_before == sorted(
        (o.id, o.platform_order_id, o.total, o.updated_at)
        for o in db.session.scalars(ShopScope(other.id).select(Order))
    )
    assert count(connected_shop.id, Order) == 2
    assert count(other.id, Customer) == 2
