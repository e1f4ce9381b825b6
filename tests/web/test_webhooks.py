"""The ingest path: verify, store, commit, enqueue, answer."""

from __future__ import annotations

import json
from typing import Any

import psycopg
import sqlalchemy as sa
from redis import Redis
from redis.connection import AbstractConnection
from rq import Queue

from app.models import Cart, WebhookDelivery, db, libpq
from app.pipeline import queues
from app.pipeline.periodic import minute_tick
from tests.conftest import ts

CART = {
    "cart_key": "c-1",
    "customer": {"email": "Ana@Example.com", "accepts_marketing": True},
    "items": [{"product_id": "1001", "quantity": 2, "price": "189.00", "title": "Linen shirt"}],
    "total": "378.00",
    "currency": "PLN",
    "updated_at": "2026-11-20T10:00:00Z",
}


def deliveries() -> list[WebhookDelivery]:
    return list(db.session.scalars(sa.select(WebhookDelivery)))


def test_bad_signature_is_401_and_stores_nothing(post_demo_webhook):
    response = post_demo_webhook("cart/updated", CART, secret="wrong")
    assert response.status_code == 401
    assert deliveries() == []


def test_unknown_shop_signature_cannot_be_checked_so_401(post_demo_webhook):
    response = post_demo_webhook("cart/updated", CART, domain="nobody.example")
    assert response.status_code == 401
    assert deliveries() == []


def test_missing_routing_headers_are_400(client, shop):
    response = client.post("/webhooks/demo", data=b"{}", headers={"X-Demo-Shop": shop.domain})
    assert response.status_code == 400
    assert "X-Demo-Topic" in response.get_json()["message"]


def test_unknown_platform_is_404(client):
    assert client.post("/webhooks/nowhere", data=b"{}").status_code == 404


def test_malformed_json_with_valid_signature_is_400_and_stored_failed(
    post_demo_webhook, redis_conn
):
    response = post_demo_webhook("cart/updated", None, raw=b'{"cart_key": "c-1",')
    assert response.status_code == 400
    (row,) = deliveries()
    assert row.status == "failed"
    assert "malformed JSON" in (row.last_error or "")
    assert row.body == b'{"cart_key": "c-1",'
    assert Queue("events", connection=redis_conn).count == 0


def test_unknown_topic_is_200_and_stored_ignored(post_demo_webhook, redis_conn):
    response = post_demo_webhook("fulfillment/created", {"id": 1})
    assert response.status_code == 200
    (row,) = deliveries()
    assert row.status == "ignored"
    assert Queue("events", connection=redis_conn).count == 0


def test_valid_delivery_is_stored_before_answer_and_processed_by_worker(
    post_demo_webhook, run_jobs
):
    response = post_demo_webhook("cart/updated", CART)
    assert response.status_code == 200
    (row,) = deliveries()
    assert row.status == "received"
    assert run_jobs("events") == 1
    db.session.expire_all()
    assert deliveries()[0].status == "processed"
    cart = db.session.scalars(sa.select(Cart)).one()
    assert (cart.cart_key, cart.email, cart.total) == ("c-1", "ana@example.com", 378)
    assert cart.platform_updated_at == ts("2026-11-20T10:00:00")


def test_same_delivery_twice_creates_one_row_and_one_job(post_demo_webhook, redis_conn):
    first = post_demo_webhook("cart/updated", CART, delivery_id="same")
    second = post_demo_webhook("cart/updated", CART, delivery_id="same")
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.get_json()["message"] == "duplicate"
    assert len(deliveries()) == 1
    assert Queue("events", connection=redis_conn).count == 1


def test_redis_down_still_answers_200_and_tick_requeues_when_back(app, post_demo_webhook, run_jobs):
    working = queues.redis_connection()
    app.extensions["storeflow_redis"] = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    try:
        response = post_demo_webhook("cart/updated", CART)
    finally:
        app.extensions["storeflow_redis"] = working
    assert response.status_code == 200
    (row,) = deliveries()
    assert row.status == "received"
    assert Queue("events", connection=working).count == 0

    # Redis is back; a minute tick before the two-minute grace leaves the row alone...
    assert minute_tick(now=row.received_at)["deliveries_requeued"] == 0
    # ...and the one after it re-enqueues it, once, however often it ticks.
    later = row.received_at.replace(microsecond=0) + __import__("datetime").timedelta(minutes=3)
    assert minute_tick(now=later)["deliveries_requeued"] == 1
    assert minute_tick(now=later)["deliveries_requeued"] == 0
    assert run_jobs("events") == 1
    db.session.expire_all()
    assert deliveries()[0].status == "processed"


def test_processing_error_is_recorded_and_retried(post_demo_webhook, run_jobs):
    bad = dict(CART, updated_at="not a time")
    post_demo_webhook("cart/updated", bad)
    run_jobs("events")
    db.session.expire_all()
    (row,) = deliveries()
    assert row.attempts == 1
    assert row.status == "received"  # still retriable until DELIVERY_MAX_ATTEMPTS
    assert "ValueError" in (row.last_error or "")


def test_oversized_body_is_refused_with_413_and_not_stored(client, shop):
    response = client.post(
        "/webhooks/demo",
        data=b"x" * (8 * 1024 * 1024 + 1),
        headers={
            "X-Demo-Shop": shop.domain,
            "X-Demo-Topic": "cart/updated",
            "X-Demo-Delivery-Id": "big",
            "X-Demo-Hmac-Sha256": "AAAA",
        },
    )
    assert response.status_code == 413
    assert deliveries() == []


def test_delivery_id_longer_than_we_store_is_400_and_not_stored(post_demo_webhook):
    response = post_demo_webhook("cart/updated", CART, delivery_id="d" * 129)
    assert response.status_code == 400
    assert "delivery id" in response.get_json()["message"]
    assert deliveries() == []


def test_a_valid_delivery_reads_the_shop_once_not_again_after_its_commit(post_demo_webhook, shop):
    statements: list[str] = []
    assert shop.domain  # loaded here: the signing fixture reads it, not the request

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        response = post_demo_webhook("cart/updated", CART)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)

    assert response.status_code == 200
    assert len(deliveries()) == 1
    shop_reads = [
        s for s in statements if s.lstrip().upper().startswith("SELECT") and "FROM shops" in s
    ]
    assert len(shop_reads) == 1, statements


def test_a_delivery_for_a_remembered_shop_is_one_round_trip_to_postgresql_and_one_to_redis(
    post_demo_webhook, run_jobs, monkeypatch
):
    assert post_demo_webhook("cart/updated", CART, delivery_id="d-1").status_code == 200
    sql: list[str] = []
    redis_sends: list[int] = []
    # Counted where the bytes leave: a statement (psycopg's cursor, or libpq itself for the
    # hot inserts: one round trip on a connection that has prepared it, as this one has), a
    # transaction command (BEGIN, COMMIT, ROLLBACK: psycopg's connection) and a Redis write
    # (one per pipeline).
    monkeypatch.setattr(psycopg.Cursor, "execute", _counting(psycopg.Cursor.execute, sql))
    monkeypatch.setattr(libpq, "execute", _counting_first(libpq.execute, sql))
    monkeypatch.setattr(
        psycopg.Connection, "_exec_command", _counting(psycopg.Connection._exec_command, sql)
    )
    monkeypatch.setattr(
        AbstractConnection,
        "send_packed_command",
        _counting(AbstractConnection.send_packed_command, redis_sends),
    )

    response = post_demo_webhook("cart/updated", CART, delivery_id="d-2")

    monkeypatch.undo()
    assert response.status_code == 200
    assert len(sql) == 1, sql
    assert "INSERT INTO webhook_deliveries" in str(sql[0]) and "ON CONFLICT" in str(sql[0])
    assert len(redis_sends) == 1
    assert [d.delivery_id for d in deliveries()] == ["d-1", "d-2"]
    assert run_jobs("events") == 1  # one drain job processed both
    db.session.expire_all()
    assert [d.status for d in deliveries()] == ["processed", "processed"]


def _counting(func: Any, calls: list[Any]) -> Any:
    def counted(self: Any, statement: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(statement)
        return func(self, statement, *args, **kwargs)

    return counted


def _counting_first(func: Any, calls: list[Any]) -> Any:
    """``_counting`` for a function whose second argument is the statement."""

    def counted(first: Any, statement: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(statement)
        return func(first, statement, *args, **kwargs)

    return counted


def test_a_retried_delivery_whose_wake_up_was_lost_is_processed_after_the_duplicate(
    post_demo_webhook, redis_conn, run_jobs
):
    """The first copy was stored but its wake-up never reached a worker (Redis flushed, or the
    answer lost after the commit): the platform's retry, a duplicate, wakes a drain for it."""
    assert post_demo_webhook("cart/updated", CART, delivery_id="lost").status_code == 200
    redis_conn.flushdb()  # the drain job and its flag gone
    assert run_jobs("events") == 0  # nothing would process it before the minute tick

    again = post_demo_webhook("cart/updated", CART, delivery_id="lost")

    assert again.status_code == 200 and again.get_json()["message"] == "duplicate"
    assert run_jobs("events") == 1
    db.session.expire_all()
    assert [d.status for d in deliveries()] == ["processed"]


def test_large_webhook_body_is_stored_lz4_compressed_and_read_back_whole(post_demo_webhook):
    # Over PostgreSQL's 2 kB threshold, like a real checkout (migration 0019_body_lz4).
    cart = {**CART, "items": [{**CART["items"][0], "title": f"Shirt {n}"} for n in range(60)]}
    body = json.dumps(cart).encode()
    assert len(body) > 4000
    response = post_demo_webhook("cart/updated", None, raw=body)
    assert response.status_code == 200
    (row,) = deliveries()
    assert row.body == body
    method = db.session.scalar(
        sa.select(sa.func.pg_column_compression(WebhookDelivery.body)).where(
            WebhookDelivery.id == row.id
        )
    )
    assert method == "lz4"
