"""The delivery pipeline: stored deliveries drained by ONE worker as the Procfile runs it.

100 Shopify shops (address set, abandoned-cart and cross-sell flows on) receive a mix of
deliveries: each shopper's ``checkouts/update`` (a cart; marketing accepted, so a reminder is
due) and, for every other shopper, then the ``orders/create`` of that cart (paid: the
reminder is cancelled, a cross-sell is due). The rows are stored and enqueued the way the
webhook does it (``store_delivery``, ``enqueue_delivery``), then the Procfile's worker command
with ``--burst`` (``-c app.pipeline.worker_settings``, the scheduler, ``SimpleWorker``, its
four queues) drains them.

Deliveries/s is counted between the first and the last ``processed_at`` (the worker's start-up
is not in it); CPU seconds are the worker process's, start-up included. Goal: 300/s per worker.

The shared pieces (the deliveries, storing one, the worker's command) serve
``pipeline_lag.py`` too.

    PYTHONPATH=.:bench .venv/bin/python bench/pipeline.py [shoppers]
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from scratch import REDIS_URL, database_url, report, scratch_app, sized, table
from shopify_samples import checkout, make_shops, order

from app import connectors
from app.connectors.base import Envelope
from app.models import FlowRun, Shop, WebhookDelivery, db, utcnow
from app.pipeline.ingest import enqueue_delivery, store_delivery
from app.pipeline.queues import QUEUES

SHOPS = sized(100, 10)
GOAL_PER_SECOND = 300.0


def deliveries_of(n: int, now: datetime) -> list[tuple[str, str, bytes]]:
    """Shopper ``n``'s deliveries as (topic, delivery id, body): the checkout, and for every
    other shopper the order of that cart."""
    bodies = [("checkouts/update", checkout(n, now - timedelta(minutes=30)))]
    if n % 2 == 0:
        bodies.append(("orders/create", order(n, now - timedelta(minutes=5))))
    return [(topic, f"{topic}-{n}", json.dumps(payload).encode()) for topic, payload in bodies]


def store(shop: Shop, topic: str, delivery_id: str, body: bytes, *, committed: bool) -> int:
    """Store one delivery as the webhook does (``committed``: durable on return, alone)."""
    platform = connectors.get("shopify")
    assert platform is not None
    envelope = Envelope(topic=topic, shop_domain=shop.domain, delivery_id=delivery_id, headers={})
    stored = store_delivery(shop, platform, envelope, body, "received", committed=committed)
    assert stored is not None
    return stored


def store_all(shop_ids: list[int], shoppers: int) -> int:
    """Each shopper's checkout, and every other shopper's order; stored, then enqueued."""
    shops = {shop.id: shop for shop in db.session.scalars(sa.select(Shop))}
    now, ids = utcnow(), []
    for n in range(shoppers):
        shop = shops[shop_ids[n % len(shop_ids)]]
        for topic, delivery_id, body in deliveries_of(n, now):
            ids.append(store(shop, topic, delivery_id, body, committed=False))
    db.session.commit()
    for delivery_id in ids:
        enqueue_delivery(delivery_id)
    return len(ids)


def worker_env(name: str) -> dict[str, str]:
    """The worker's environment: the benchmark's scratch database and Redis."""
    return {
        **os.environ,
        "STOREFLOW_DATABASE_URL": database_url(name),
        "STOREFLOW_REDIS_URL": REDIS_URL,
        "STOREFLOW_ENV": "development",
    }


def worker_command(*options: str) -> list[str]:
    """The Procfile's worker command (``options`` added, e.g. ``--burst``)."""
    rq = Path(sys.executable).with_name("rq")
    return [
        str(rq),
        *("worker", *options, "--url", REDIS_URL, "-c", "app.pipeline.worker_settings"),
        *("--with-scheduler", "--worker-class", "rq.worker.SimpleWorker"),
        *QUEUES,
    ]


def children_cpu() -> float:
    """CPU seconds of the finished child processes so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def drain() -> tuple[float, float]:
    """Run one burst worker until the queue is empty: (wall seconds, its CPU seconds)."""
    before, started = children_cpu(), time.perf_counter()
    subprocess.run(
        worker_command("--burst", "--quiet"),
        env=worker_env("pipeline"),
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started, children_cpu() - before


def main() -> None:
    shoppers = int(sys.argv[1]) if len(sys.argv) > 1 else sized(1_000, 60)
    with scratch_app("pipeline"):
        shop_ids = make_shops(SHOPS)
        stored = store_all(shop_ids, shoppers)
        db.session.remove()
        wall, cpu = drain()
        status_counts = sa.select(WebhookDelivery.status, sa.func.count()).group_by(
            WebhookDelivery.status
        )
        by_status = {status: count for status, count in db.session.execute(status_counts)}
        first, last = db.session.execute(
            sa.select(
                sa.func.min(WebhookDelivery.processed_at), sa.func.max(WebhookDelivery.processed_at)
            )
        ).one()
        run_counts = sa.select(FlowRun.flow_key, sa.func.count()).group_by(FlowRun.flow_key)
        runs = {key: count for key, count in db.session.execute(run_counts)}
    processed = by_status.get("processed", 0)
    span = (last - first).total_seconds() if first and last else 0.0
    per_second = (processed - 1) / span if span else 0.0
    print(
        table(
            [
                ("deliveries", "shops", "processed", "other", "worker wall s", "draining s",
                 "deliveries/s", "worker CPU s", "CPU ms each"),
                (f"{stored:,}", str(SHOPS), f"{processed:,}",
                 ", ".join(f"{k}: {v}" for k, v in by_status.items() if k != "processed") or "-",
                 f"{wall:.1f}", f"{span:.1f}", f"{per_second:,.1f}", f"{cpu:.1f}",
                 f"{1000 * cpu / max(processed, 1):.1f}"),
            ]
        )
    )  # fmt: skip
    print(f"\nflow runs started: {runs}")
    report(
        "pipeline: deliveries/s, one worker",
        f"{per_second:,.1f}/s ({1000 * cpu / max(processed, 1):.0f} ms CPU each)",
        f">= {GOAL_PER_SECOND:.0f}/s",
        per_second >= GOAL_PER_SECOND and processed == stored,
        f"{processed:,} of {stored:,} processed",
    )


if __name__ == "__main__":
    main()
