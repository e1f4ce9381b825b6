"""Webhooks wake the delivery drain from a thread of the web process (``deferred_wake``), not
in their requests: a burst costs one wake-up, and every delivery of it is processed."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from flask import Flask
from redis import Redis

from app import create_app
from app.config import config_for_tests
from app.models import Shop
from app.pipeline import deferred_wake, queues
from app.pipeline.ingest import WAKE_KEY
from tests.backends import Backends
from tests.conftest import sign
from tests.support.deliveries import delivery_statuses
from tests.support.flows import cart_payload

HOUR_MS = 3_600_000


def _waking_app(backends: Backends, wake_ms: int) -> Flask:
    settings = config_for_tests(backends.database_url, backends.redis_url)
    return create_app({**settings, "DELIVERY_WAKE_MS": wake_ms})


def _post(web: Flask, shop: Shop, number: int) -> int:
    body = json.dumps(cart_payload(f"cart-{number}", email_address=f"b{number}@example.com"))
    headers = {
        "Content-Type": "application/json",
        "X-Demo-Shop": shop.domain,
        "X-Demo-Topic": "cart/updated",
        "X-Demo-Delivery-Id": f"burst-{number}",
        "X-Demo-Hmac-Sha256": sign("s3cret", body.encode()),
    }
    return web.test_client().post("/webhooks/demo", data=body, headers=headers).status_code


def _drains_queued() -> int:
    return sum(
        1 for job in queues.queue("events").get_jobs() if job.func_name.endswith("drain_deliveries")
    )


def test_a_burst_of_webhooks_wakes_one_drain_which_processes_every_delivery(
    shop: Shop, backends: Backends, redis_conn: Redis, run_jobs: Callable[..., int]
):
    web = _waking_app(backends, wake_ms=50)
    assert [_post(web, shop, n) for n in range(5)] == [200] * 5
    assert delivery_statuses() == ["received"] * 5
    deadline = time.monotonic() + 5
    while not _drains_queued() and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.2)  # the thread's later rounds: the drain still waits, so no second job
    assert _drains_queued() == 1
    assert run_jobs("events") >= 1
    assert delivery_statuses() == ["processed"] * 5


def test_a_wake_up_still_owed_when_the_process_exits_is_sent(
    shop: Shop, backends: Backends, redis_conn: Redis, run_jobs: Callable[..., int]
):
    web = _waking_app(backends, wake_ms=HOUR_MS)
    assert _post(web, shop, 1) == 200  # woken at once: the thread's first round
    deadline = time.monotonic() + 5
    while not _drains_queued() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert run_jobs("events") >= 1
    assert redis_conn.get(WAKE_KEY) is None  # the drain started: the next wake-up queues one
    assert _post(web, shop, 2) == 200  # owed: the thread sleeps for an hour
    waker = web.extensions[deferred_wake.EXTENSION]
    assert waker.owed and _drains_queued() == 0
    waker.send()  # what the process runs at exit
    assert not waker.owed and _drains_queued() == 1
    assert run_jobs("events") >= 1
    assert delivery_statuses() == ["processed", "processed"]
