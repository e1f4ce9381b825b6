"""A Shopify shop's order history: one bulk operation, its JSONL streamed into the import."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import responses
import sqlalchemy as sa

from app.connectors.shopify import history
from app.connectors.shopify.graphql import ShopifyApiError
from app.models import Customer, FlowRun, Message, Order, OrderLine, Shop, ShopScope, db
from tests.support.shopify import FIXTURES, SCOPES, FakeShopify, fresh_credentials

CONNECTED = datetime(2026, 11, 1, tzinfo=UTC)
BULK_FILE = (FIXTURES / "bulk_orders.jsonl").read_bytes()


@pytest.fixture()
def connected(shopify_shop: Shop) -> Shop:
    shopify_shop.installed_at = CONNECTED
    db.session.commit()
    return shopify_shop


def orders_of(shop: Shop) -> dict[str, Order]:
    return {o.platform_order_id: o for o in db.session.scalars(ShopScope(shop.id).select(Order))}


def test_history_bulk_file_is_imported_and_starts_no_flow(connected, shopify_http, run_jobs):
    fake = FakeShopify(shopify_http)
    shopify_http.add(responses.GET, fake.bulk_url, body=BULK_FILE)

    assert history.start_history_job(connected.id) == "started"
    run_jobs("sync")  # the poll: the operation is complete, its file is imported

    (run_bulk,) = [c for c in fake.calls if c["operation"] == "RunBulk"]
    assert "created_at:<'2026-11-01T00:00:00Z'" in run_bulk["variables"]["query"]
    assert "__parentId" not in run_bulk["variables"]["query"]
    db.session.expire_all()
    progress = db.session.get(Shop, connected.id).history_import
    assert (progress.state, progress.orders, progress.error) == ("done", 2, None)
    orders = orders_of(connected)
    assert sorted(orders) == ["450789469", "820982911946154508"]
    first = orders["820982911946154508"]
    assert (first.total, first.refunded, first.currency) == (
        Decimal("403.00"),
        Decimal("41.30"),
        "USD",
    )
    assert first.paid_at is not None and first.fulfilled_at is not None
    assert sorted(
        line.platform_variant_id
        for line in db.session.scalars(ShopScope(connected.id).select(OrderLine))
    ) == ["39072856", "457924702", "808950810"]
    john = ShopScope(connected.id).first(
        Customer, Customer.platform_customer_id == "115310627314723954"
    )
    assert john is not None
    # The order's email is the one it was placed with (the mapping's rule, as for a webhook).
    assert (john.email, john.email_consent) == ("jon@example.com", "granted")
    assert (john.order_count, john.total_spent) == (1, Decimal("361.70"))
    guest = db.session.get(Customer, orders["450789469"].customer_id)
    assert guest is not None  # a guest order: its customer is known by email alone
    assert (guest.platform_customer_id, guest.email) == (None, "bob.norman@mail.example.com")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FlowRun)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 0


def test_without_read_all_orders_the_import_says_it_reaches_60_days(connected, shopify_http):
    FakeShopify(shopify_http)
    history.start_history_job(connected.id)
    db.session.expire_all()
    assert "read_all_orders" not in SCOPES
    assert db.session.get(Shop, connected.id).history_import.limited_to_days == 60


def test_with_read_all_orders_the_import_reaches_every_order(connected, shopify_http):
    FakeShopify(shopify_http)
    connected.credentials = fresh_credentials(scope=f"{SCOPES},read_all_orders")
    db.session.commit()
    history.start_history_job(connected.id)
    db.session.expire_all()
    progress = db.session.get(Shop, connected.id).history_import
    assert (progress.state, progress.limited_to_days) == ("running", None)


def test_a_second_start_does_not_run_a_second_bulk_operation(connected, shopify_http):
    fake = FakeShopify(shopify_http)
    assert history.start_history_job(connected.id) == "started"
    assert history.start_history_job(connected.id) == "running"
    assert fake.operations().count("RunBulk") == 1


def test_an_interrupted_import_resumes_after_the_last_stored_chunk(connected, monkeypatch):
    monkeypatch.setattr(history, "CHUNK_ORDERS", 1)
    lines = BULK_FILE.decode().splitlines()
    broken = [*lines[:4], "{not json"]  # the second order's line item
    with pytest.raises(ShopifyApiError, match="line 5"):
        history.import_order_lines(connected, broken)
    db.session.rollback()
    assert list(orders_of(connected)) == ["820982911946154508"]
    assert connected.history_import.cursor == 3

    seen: list[str] = []
    monkeypatch.setattr(
        history, "order_payload", lambda node: seen.append(node["id"]) or real_payload(node)
    )
    history.import_order_lines(connected, lines)
    assert seen == ["gid://shopify/Order/450789469"]  # the stored order is not read again
    assert len(orders_of(connected)) == 2
    assert connected.history_import.orders == 2


def test_a_line_item_before_any_order_is_refused_with_the_line_number(connected):
    child = json.dumps({"id": "gid://shopify/LineItem/1", "__parentId": "gid://shopify/Order/1"})
    with pytest.raises(ShopifyApiError, match="line 1: no order"):
        history.import_order_lines(connected, [child])


real_payload = history.order_payload
