"""Stored deliveries drained in batches: one wake-up job, rows claimed from the database, a
failing row retried alone, a batch that dies midway processed again with nothing doubled."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa
from rq import Queue
from rq.registry import ScheduledJobRegistry

from app.models import Cart, FlowRun, WebhookDelivery, db
from app.pipeline import ingest, queues
from app.pipeline.periodic import minute_tick
from tests.support.deliveries import delivery_statuses
from tests.support.flows import cart_payload, order_payload
from tests.support.shopify import load


def _post_carts(post_demo_webhook, count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        payload = cart_payload(f"c-{n}", email_address=f"shopper{n}@example.com")
        response = post_demo_webhook("cart/updated", payload, delivery_id=f"cart-{n}")
        assert response.status_code == 200


def test_many_deliveries_wake_one_drain_job_that_processes_them_all(
    flow_shop, post_demo_webhook, run_jobs, redis_conn
):
    _post_carts(post_demo_webhook, 5)
    assert Queue("events", connection=redis_conn).count == 1  # one wake-up, not one per row

    assert run_jobs("events") == 1
    assert delivery_statuses() == ["processed"] * 5
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Cart)) == 5
    runs = db.session.scalars(sa.select(FlowRun.subject_key)).all()
    assert sorted(runs) == sorted(f"cart:c-{n}" for n in range(5))


def test_a_batch_larger_than_one_claim_is_drained_in_several_transactions(
    flow_shop, post_demo_webhook, run_jobs, monkeypatch
):
    monkeypatch.setattr(ingest, "BATCH_SIZE", 2)
    _post_carts(post_demo_webhook, 5)
    # A full claim wakes another worker: the second job finds the rows taken, or the rest.
    assert run_jobs("events") >= 1
    assert delivery_statuses() == ["processed"] * 5


def test_a_failing_delivery_is_retried_alone_and_the_rest_of_its_batch_goes_through(
    flow_shop, post_demo_webhook, run_jobs, redis_conn
):
    _post_carts(post_demo_webhook, 1)
    bad = dict(cart_payload("c-bad"), updated_at="not a time")
    assert post_demo_webhook("cart/updated", bad, delivery_id="bad").status_code == 200
    _post_carts(post_demo_webhook, 1, start=1)

    assert run_jobs("events") == 1
    assert delivery_statuses() == ["processed", "received", "processed"]
    failed = db.session.scalars(
        sa.select(WebhookDelivery).where(WebhookDelivery.delivery_id == "bad")
    ).one()
    assert failed.attempts == 1 and "ValueError" in (failed.last_error or "")
    # Its retry waits out the backoff in the scheduler; the drain does not take it again.
    scheduled = ScheduledJobRegistry("events", connection=redis_conn).get_job_ids()
    assert scheduled == [f"delivery-{failed.id}"]
    _post_carts(post_demo_webhook, 1, start=2)
    run_jobs("events")
    assert delivery_statuses() == ["processed", "received", "processed", "processed"]


class _Killed(BaseException):
    """What a SIGKILL does to the batch: it stops, nothing is committed, no handler runs."""


def test_a_batch_killed_midway_is_processed_again_in_full_and_nothing_twice(
    flow_shop, post_demo_webhook, monkeypatch
):
    _post_carts(post_demo_webhook, 3)
    order = order_payload("o-1", "c-0", "shopper0@example.com", "477.00")
    assert post_demo_webhook("order/created", order, delivery_id="order-0").status_code == 200
    applied: list[object] = []
    real_apply = ingest.apply

    def dies_at_the_third(event: object) -> None:
        if len(applied) == 2:
            raise _Killed
        applied.append(event)
        real_apply(event)  # type: ignore[arg-type]

    monkeypatch.setattr(ingest, "apply", dies_at_the_third)
    with pytest.raises(_Killed):
        ingest.drain_deliveries()
    db.session.rollback()  # the connection's end: the batch's transaction never committed
    assert delivery_statuses() == ["received"] * 4
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Cart)) == 0

    monkeypatch.setattr(ingest, "apply", real_apply)
    assert ingest.drain_deliveries() == 4
    assert delivery_statuses() == ["processed"] * 4
    carts = db.session.execute(sa.select(Cart.cart_key, Cart.status).order_by(Cart.cart_key))
    assert [tuple(cart) for cart in carts] == [
        ("c-0", "converted"),
        ("c-1", "active"),
        ("c-2", "active"),
    ]
    runs = db.session.execute(sa.select(FlowRun.subject_key, FlowRun.state)).all()
    assert Counter(key for key, _ in runs) == {"cart:c-0": 1, "cart:c-1": 1, "cart:c-2": 1}
    assert dict(runs)["cart:c-0"] == "cancelled"  # the order stopped its reminder


def test_the_tick_wakes_a_drain_for_rows_whose_wake_up_redis_lost_and_retries_failed_ones(
    flow_shop, post_demo_webhook, run_jobs, redis_conn
):
    _post_carts(post_demo_webhook, 2)
    rows = db.session.scalars(sa.select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
    rows[1].attempts, rows[1].last_error = 1, "ValueError: once"  # its retry job was lost too
    db.session.commit()
    redis_conn.flushdb()
    assert minute_tick(now=rows[1].received_at)["deliveries_requeued"] == 0  # not stuck yet

    later = rows[1].received_at + timedelta(minutes=3)
    assert minute_tick(now=later)["deliveries_requeued"] == 2  # a drain, and the retry
    assert queues.job_is_pending(f"delivery-{rows[1].id}")
    assert minute_tick(now=later)["deliveries_requeued"] == 0  # both are queued already
    run_jobs("events")
    assert delivery_statuses() == ["processed", "processed"]


def test_a_redaction_inside_a_batch_erases_the_persons_earlier_delivery_and_ignores_the_later(
    shopify_shop, post_shopify_webhook, run_jobs
):
    john = {"id": 191167, "email": "john@example.com"}  # the redaction's customer
    ana = {"id": 191168, "email": "ana@example.com"}

    def checkout(token: str, who: dict, **changes: str) -> dict:
        return load("checkouts_create", token=token, email=who["email"], customer=who, **changes)

    later = "2022-01-01T10:00:00Z"
    bodies = [
        ("checkouts/create", checkout("t-john", john)),
        ("checkouts/create", checkout("t-ana", ana)),
        ("customers/redact", load("customers_redact", orders_to_redact=[])),
        ("checkouts/update", checkout("t-john", john, updated_at=later)),
    ]
    for n, (topic, payload) in enumerate(bodies):
        assert post_shopify_webhook(topic, payload, webhook_id=f"w-{n}").status_code == 200

    assert run_jobs("events") == 1  # one drain, one batch
    rows = db.session.scalars(sa.select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
    assert [(row.status, row.attempts) for row in rows] == [
        ("processed", 1),
        ("processed", 1),
        ("processed", 1),
        ("ignored", 0),
    ]
    assert [row.processed_at is not None for row in rows] == [True, True, True, False]
    assert [b"john@example.com" in row.body for row in rows] == [False, False, False, False]
    assert b"ana@example.com" in rows[1].body
    carts = db.session.execute(sa.select(Cart.cart_key, Cart.email)).all()
    assert [tuple(cart) for cart in carts] == [("t-ana", "ana@example.com")]
