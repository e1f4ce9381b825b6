"""Durable timers: due runs are found in the database and enqueued exactly once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from rq import Queue

from app.flows.engine.timers import enqueue_due_runs
from app.models import FlowRun, db
from tests.conftest import ts

NOW = ts("2026-11-20T12:00:00")


def _runs(shop_id: int, count: int, due: bool = True) -> list[int]:
    at = NOW - timedelta(minutes=1) if due else NOW + timedelta(hours=1)
    runs = [
        FlowRun(
            shop_id=shop_id,
            flow_key="abandoned_cart",
            subject_key=f"cart:{due}:{i}",
            started_at=NOW - timedelta(hours=2),
            next_step_at=at,
        )
        for i in range(count)
    ]
    db.session.add_all(runs)
    db.session.commit()
    return [r.id for r in runs]


def _queued_run_ids(redis_conn) -> list[int]:
    return [job.args[0] for job in Queue("flows", connection=redis_conn).jobs]


def test_tick_enqueues_only_due_runs(shop, redis_conn):
    due = _runs(shop.id, 3)
    _runs(shop.id, 2, due=False)
    assert enqueue_due_runs(NOW) == 3
    assert sorted(_queued_run_ids(redis_conn)) == sorted(due)


def test_leased_run_is_not_enqueued_again_until_the_lease_lapses(app, shop, redis_conn):
    (run_id,) = _runs(shop.id, 1)
    assert enqueue_due_runs(NOW) == 1
    assert enqueue_due_runs(NOW + timedelta(minutes=1)) == 0
    redis_conn.flushdb()  # the job is lost with Redis
    lapse = NOW + timedelta(seconds=app.config["RUN_LEASE_SECONDS"] + 1)
    assert enqueue_due_runs(lapse) == 1
    assert _queued_run_ids(redis_conn) == [run_id]


@pytest.mark.postgres_only
def test_two_concurrent_ticks_never_enqueue_the_same_due_run_twice(app, shop, redis_conn, backends):
    if not backends.is_postgres:
        pytest.skip("row locks with SKIP LOCKED need PostgreSQL")
    due = _runs(shop.id, 60)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def tick() -> None:
        try:
            with app.app_context():
                barrier.wait()
                enqueue_due_runs(NOW)
                db.session.remove()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    queued = _queued_run_ids(redis_conn)
    assert sorted(queued) == sorted(due)  # each due run once, none twice
