"""The collector's write-behind (``app/pipeline/view_buffer.py``): anonymous storefront batches
answered 204 at once, written together by the web process, kept through a database outage,
refused with 503 only when the process may hold no more."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from app import create_app
from app.config import config_for_tests
from app.models import (
    Customer,
    Product,
    Shop,
    StorefrontEvent,
    StorefrontVisitor,
    Variant,
    db,
    utcnow,
)
from app.pipeline import known_shops, view_buffer
from app.pipeline.storefront import ensure_collect_key
from tests.backends import Backends
from tests.support.database import CuttableProxy

ORIGIN = "https://shop.example"
HOUR_MS = 3_600_000  # no timed flush within a test: only the test's own flush() writes


@pytest.fixture()
def tracked_shop(shop: Shop) -> Shop:
    ensure_collect_key(shop)
    db.session.commit()
    return shop


@pytest.fixture()
def holding_app(app: Flask, backends: Backends) -> Callable[..., Flask]:
    """A web process's app with the write-behind on (the tests' own app writes in the
    request), on the same database and Redis."""
    if not backends.is_postgres:
        pytest.skip("the write-behind is PostgreSQL's")

    def make(database_url: str | None = None, **config: Any) -> Flask:
        settings = config_for_tests(database_url or backends.database_url, backends.redis_url)
        return create_app({**settings, "COLLECT_FLUSH_MS": HOUR_MS, **config})

    return make


def _batch(shop: Shop, visitor: str, *products: str) -> dict[str, Any]:
    at = utcnow().isoformat()
    return {
        "shop": shop.domain,
        "key": shop.storefront_tracking.collect_key,
        "visitor": visitor,
        "events": [{"type": "product_viewed", "product_id": p, "at": at} for p in products],
    }


def _post(web: Flask, body: dict[str, Any]) -> Any:
    origin = f"https://{body['shop']}"  # the demo shop's storefront
    return web.test_client().post("/collect/demo", json=body, headers={"Origin": origin})


def _held(web: Flask) -> view_buffer.ViewBuffer:
    held = web.extensions[view_buffer.EXTENSION]
    assert isinstance(held, view_buffer.ViewBuffer)
    return held


def _stored() -> list[tuple[str, str | None, int | None]]:
    rows = db.session.execute(
        sa.select(
            StorefrontEvent.visitor_id, StorefrontEvent.product_id, StorefrontEvent.customer_id
        ).order_by(StorefrontEvent.id)
    )
    db.session.commit()
    return [tuple(row) for row in rows]  # type: ignore[misc]


def test_batches_are_answered_204_at_once_and_written_together_in_order_on_flush(
    tracked_shop: Shop, customer: Customer, holding_app: Callable[..., Flask]
):
    web = holding_app()
    db.session.add(
        StorefrontVisitor(
            shop_id=tracked_shop.id, visitor_id="v-known-0001", customer_id=customer.id
        )
    )
    db.session.commit()
    answers = [
        _post(web, _batch(tracked_shop, "v-anon-00001", "101", "102")).status_code,
        _post(web, _batch(tracked_shop, "v-known-0001", "103")).status_code,
        _post(web, _batch(tracked_shop, "v-anon-00001", "104")).status_code,
    ]
    assert answers == [204, 204, 204]
    assert _stored() == [] and _held(web).held == 4  # answered before any write

    with web.app_context():
        assert _held(web).flush() is True
    assert _stored() == [
        ("v-anon-00001", "101", None),
        ("v-anon-00001", "102", None),
        ("v-known-0001", "103", customer.id),  # the visitor's link read as it is written
        ("v-anon-00001", "104", None),
    ]
    assert _held(web).held == 0


def test_the_process_writes_what_it_holds_on_its_own_within_the_flush_interval(
    tracked_shop: Shop, holding_app: Callable[..., Flask]
):
    web = holding_app(COLLECT_FLUSH_MS=50)
    assert _post(web, _batch(tracked_shop, "v-anon-00002", "201")).status_code == 204
    deadline = time.monotonic() + 10
    while not _stored() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _stored() == [("v-anon-00002", "201", None)]
    assert _held(web).held == 0


def test_views_held_while_the_database_is_away_are_written_once_when_it_returns(
    tracked_shop: Shop,
    holding_app: Callable[..., Flask],
    pg_proxy: CuttableProxy,
    backends: Backends,
    caplog: pytest.LogCaptureFixture,
):
    web = holding_app(pg_proxy.url(backends.database_url))
    assert _post(web, _batch(tracked_shop, "v-anon-00003", "301")).status_code == 204
    pg_proxy.cut()
    # The shop is remembered and the limits are counted in the process: 204 with no database.
    assert _post(web, _batch(tracked_shop, "v-anon-00003", "302")).status_code == 204
    with web.app_context(), caplog.at_level(logging.WARNING):
        assert _held(web).flush() is False
    assert "database unreachable" in caplog.text
    assert _held(web).held == 2 and _stored() == []

    pg_proxy.restore()
    with web.app_context():
        assert _held(web).flush() is True
    assert _stored() == [("v-anon-00003", "301", None), ("v-anon-00003", "302", None)]
    assert _held(web).held == 0


def test_a_shop_remembered_before_an_outage_longer_than_its_ttl_still_has_its_views_held(
    tracked_shop: Shop,
    holding_app: Callable[..., Flask],
    pg_proxy: CuttableProxy,
    backends: Backends,
    monkeypatch: pytest.MonkeyPatch,
):
    web = holding_app(pg_proxy.url(backends.database_url))
    assert _post(web, _batch(tracked_shop, "v-anon-00009", "901")).status_code == 204
    monkeypatch.setattr(known_shops, "TTL", 0.0)  # what it remembers is past its TTL at once
    pg_proxy.cut()
    assert _post(web, _batch(tracked_shop, "v-anon-00009", "902")).status_code == 204
    # A shop this process never saw cannot be checked without the database: 503 as before.
    stranger = {**_batch(tracked_shop, "v-anon-00009", "903"), "shop": "never-seen.example"}
    assert _post(web, stranger).status_code == 503
    pg_proxy.restore()
    with web.app_context():
        assert _held(web).flush() is True
    assert [row[1] for row in _stored()] == ["901", "902"]


def test_a_process_holding_all_it_may_answers_503_and_keeps_what_it_holds(
    tracked_shop: Shop, holding_app: Callable[..., Flask]
):
    web = holding_app(COLLECT_BUFFER_EVENTS=3)
    assert _post(web, _batch(tracked_shop, "v-anon-00004", "401", "402")).status_code == 204
    refused = _post(web, _batch(tracked_shop, "v-anon-00004", "403", "404"))
    assert refused.status_code == 503
    assert int(refused.headers["Retry-After"]) > 0
    assert refused.headers["Access-Control-Allow-Origin"] == ORIGIN
    with web.app_context():
        assert _held(web).flush() is True
    assert [row[1] for row in _stored()] == ["401", "402"]
    # Room again: the next batch is taken.
    assert _post(web, _batch(tracked_shop, "v-anon-00004", "405")).status_code == 204


def test_a_batch_the_database_refuses_is_dropped_alone_and_the_others_are_written(
    tracked_shop: Shop, holding_app: Callable[..., Flask], caplog: pytest.LogCaptureFixture
):
    web = holding_app()
    assert _post(web, _batch(tracked_shop, "v-anon-00005", "501")).status_code == 204
    # Nothing the collector accepts is refused by the database; a row it could not store
    # (a time PostgreSQL cannot read) stands for any such bug.
    broken = [
        {
            "shop_id": tracked_shop.id,
            "visitor_id": "v-broken",
            "kind": "product_viewed",
            "product_id": "x",
            "variant_id": None,
            "detail": None,
            "occurred_at": "not a time",
            "received_at": utcnow().isoformat(),
        }
    ]
    _held(web).add(broken)
    assert _post(web, _batch(tracked_shop, "v-anon-00005", "502")).status_code == 204
    with web.app_context(), caplog.at_level(logging.ERROR):
        assert _held(web).flush() is True
    assert [row[1] for row in _stored()] == ["501", "502"]
    assert "refused by the database; dropped" in caplog.text
    assert _held(web).held == 0


def test_views_of_a_shop_deleted_before_the_write_are_dropped_and_the_rest_written(
    tracked_shop: Shop, make_shop: Callable[..., Shop], holding_app: Callable[..., Flask]
):
    gone = make_shop(domain="gone.example")
    ensure_collect_key(gone)
    db.session.commit()
    web = holding_app()
    assert _post(web, _batch(gone, "v-anon-00006", "601")).status_code == 204
    assert _post(web, _batch(tracked_shop, "v-anon-00006", "602")).status_code == 204
    db.session.delete(gone)
    db.session.commit()
    with web.app_context():
        assert _held(web).flush() is True
    assert _stored() == [("v-anon-00006", "602", None)]


def test_a_batch_naming_a_customer_is_written_before_the_answer(
    tracked_shop: Shop, customer: Customer, holding_app: Callable[..., Flask]
):
    web = holding_app()
    body = {**_batch(tracked_shop, "v-anon-00007", "701"), "customer": {"checkout": "c-1"}}
    assert _post(web, body).status_code == 204
    assert [row[1] for row in _stored()] == ["701"]
    assert _held(web).held == 0


def test_with_the_write_behind_off_a_batch_is_written_in_its_request(
    tracked_shop: Shop, client: Any
):
    response = client.post(
        "/collect/demo",
        json=_batch(tracked_shop, "v-anon-00008", "801"),
        headers={"Origin": ORIGIN},
    )
    assert response.status_code == 204
    assert _stored() == [("v-anon-00008", "801", None)]


def test_an_anonymous_view_is_stored_with_the_price_the_page_showed_variant_first(
    tracked_shop: Shop, holding_app: Callable[..., Flask]
):
    shirt = Product(
        shop_id=tracked_shop.id, platform_product_id="2001", title="Shirt", price=Decimal("150.00")
    )
    db.session.add(shirt)
    db.session.flush()
    db.session.add_all(
        [
            Variant(
                shop_id=tracked_shop.id,
                product_id=shirt.id,
                platform_variant_id="2001-XL",
                price=Decimal("200.00"),
            ),
            Variant(
                shop_id=tracked_shop.id,
                product_id=shirt.id,
                platform_variant_id="2001-S",
                price=None,
            ),
        ]
    )
    db.session.commit()
    web = holding_app()
    body = _batch(tracked_shop, "v-anon-00010", "2001", "2001", "2001", "9999")
    body["events"][1]["variant_id"] = "2001-XL"
    body["events"][2]["variant_id"] = "2001-S"  # no price of its own: the product's
    assert _post(web, body).status_code == 204
    with web.app_context():
        assert _held(web).flush() is True
    seen = db.session.execute(
        sa.select(StorefrontEvent.variant_id, StorefrontEvent.price_seen).order_by(
            StorefrontEvent.id
        )
    ).all()
    assert [tuple(row) for row in seen] == [
        (None, Decimal("150.00")),
        ("2001-XL", Decimal("200.00")),
        ("2001-S", Decimal("150.00")),
        (None, None),  # a product the catalog does not hold
    ]
