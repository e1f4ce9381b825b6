"""A WooCommerce store's order history: REST pages of orders placed before the connect."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import responses
import sqlalchemy as sa

from app.connectors.woocommerce.history import import_order_history
from app.models import Customer, FlowRun, Message, Order, OrderLine, Shop, ShopScope, db
from app.pipeline import queues
from app.web.embedded.i18n import Words
from app.web.embedded.page import history_sentences
from tests.support.woocommerce import STORE_URL, load

ORDERS_URL = f"{STORE_URL}/wp-json/wc/v3/orders"
CONNECTED = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def order(n: int) -> dict[str, Any]:
    """The documented order (completed, paid by bank transfer, a guest) as order ``n`` of
    customer ``n % 3``, placed in 2017."""
    body = copy.deepcopy(load("order.json"))
    body.update(id=700 + n, number=str(700 + n), customer_id=100 + n % 3)
    body["billing"] = {**body["billing"], "email": f"buyer{n % 3}@example.com"}
    return body


def page(rows: list[dict[str, Any]], total: int, pages: int) -> dict[str, Any]:
    return {
        "json": rows,
        "headers": {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)},
    }


@pytest.fixture()
def connected(woo_shop: Shop) -> Shop:
    woo_shop.installed_at = CONNECTED
    db.session.commit()
    return woo_shop


@pytest.fixture()
def store() -> Any:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def asked_pages(store: Any) -> list[int]:
    return [int(parse_qs(urlparse(c.request.url).query)["page"][0]) for c in store.calls]


def test_orders_before_the_connect_are_imported_page_by_page_and_start_nothing(connected, store):
    store.get(ORDERS_URL, **page([order(n) for n in range(100)], 150, 2))
    store.get(ORDERS_URL, **page([order(n) for n in range(100, 150)], 150, 2))
    # responses answers the registered pages in turn.
    result = import_order_history(connected.id)

    assert result == {"status": "done", "orders": 150}
    query = parse_qs(urlparse(store.calls[0].request.url).query)
    assert query["before"] == ["2026-11-01T12:00:00"] and query["dates_are_gmt"] == ["true"]
    assert query["per_page"] == ["100"] and query["order"] == ["asc"]
    assert "completed" in query["status"][0] and "processing" in query["status"][0]
    assert asked_pages(store) == [1, 2]
    scope = ShopScope(connected.id)
    assert len(db.session.scalars(scope.select(Order)).all()) == 150
    buyers = db.session.scalars(scope.select(Customer)).all()
    assert sorted(c.platform_customer_id for c in buyers) == ["100", "101", "102"]
    assert sorted(c.order_count for c in buyers) == [50, 50, 50]
    assert db.session.scalars(scope.select(OrderLine)).first() is not None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FlowRun)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 0
    db.session.expire_all()
    progress = db.session.get(Shop, connected.id).history_import
    assert (progress.state, progress.orders, progress.total, progress.cursor) == (
        "done",
        150,
        150,
        2,
    )


def test_a_failed_page_is_retried_and_the_import_resumes_where_it_stopped(connected, store):
    store.get(ORDERS_URL, **page([order(n) for n in range(100)], 250, 3))
    store.get(ORDERS_URL, status=502, json={"code": "bad_gateway"})
    with pytest.raises(Exception, match="502"):
        import_order_history(connected.id)  # outside a job: no retry follows
    db.session.expire_all()
    progress = db.session.get(Shop, connected.id).history_import
    assert (progress.state, progress.cursor, progress.orders) == ("failed", 1, 100)
    assert "502" in (progress.error or "")

    store.replace(responses.GET, ORDERS_URL, **page([order(n) for n in range(100, 200)], 250, 3))
    store.add(responses.GET, ORDERS_URL, **page([order(n) for n in range(200, 250)], 250, 3))
    result = import_order_history(connected.id)

    assert result == {"status": "done", "orders": 250}
    assert asked_pages(store) == [1, 2, 2, 3]  # page 1 is not fetched again
    assert len(db.session.scalars(ShopScope(connected.id).select(Order)).all()) == 250


def test_a_finished_import_is_not_run_again(connected, store):
    store.get(ORDERS_URL, **page([order(1)], 1, 1))
    assert import_order_history(connected.id)["status"] == "done"
    assert import_order_history(connected.id) == {"status": "skipped"}
    assert len(store.calls) == 1


def test_reimporting_the_same_pages_changes_nothing(connected, store):
    rows = [order(n) for n in range(30)]
    store.get(ORDERS_URL, **page(rows, 30, 1))
    import_order_history(connected.id)
    before = sorted(
        (o.id, o.total, o.customer_id)
        for o in db.session.scalars(ShopScope(connected.id).select(Order))
    )
    connected.history_import = type(connected.history_import)()  # support restarts it
    db.session.commit()
    import_order_history(connected.id)
    after = sorted(
        (o.id, o.total, o.customer_id)
        for o in db.session.scalars(ShopScope(connected.id).select(Order))
    )
    assert before == after and len(after) == 30
    assert json.dumps(connected.history_import.state) == '"done"'


def test_a_failed_page_with_retries_left_reads_trying_again_and_without_reads_failed(
    connected, store, run_jobs
):
    """The merchant's line says "trying again" while the job will be retried, and "failed"
    once no retry follows, so nobody waits on an import that stopped for good."""
    store.get(ORDERS_URL, status=502, json={"code": "bad_gateway"})
    queues.enqueue(import_order_history, connected.id)  # as connect does: with its retries
    assert run_jobs("sync") == 0  # the first attempt failed; the retry is scheduled
    db.session.expire_all()
    shop = db.session.get(Shop, connected.id)
    assert (shop.history_import.state, shop.history_import.cursor) == ("running", 0)
    words = Words(locale="en", currency="PLN", timezone="Europe/Warsaw")
    assert "we are trying again" in " ".join(history_sentences(shop, words))

    queues.queue("sync").enqueue(import_order_history, connected.id)  # no retry left
    run_jobs("sync")
    db.session.expire_all()
    shop = db.session.get(Shop, connected.id)
    assert shop.history_import.state == "failed"
    assert "failed" in " ".join(history_sentences(shop, words))
