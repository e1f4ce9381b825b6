"""The delivery pipeline's lag: deliveries arriving at a steady 100/s, one worker keeping up.

The shops and the delivery mix are ``pipeline.py``'s (each shopper's checkout, every other
shopper's order right after). A feeder stores each delivery as the webhook does (one committed
INSERT, ``store_delivery(committed=True)``, then ``wake_soon``: the web process's thread wakes a
drain at most every ``DELIVERY_WAKE_MS``, 50 ms, as in production) on a fixed schedule of RATE
a second, while ONE worker runs as the Procfile's ``worker`` line does
(``rq worker -c app.pipeline.worker_settings --with-scheduler`` with ``SimpleWorker``, not in
burst mode: it waits for wake-ups as in production). Between deliveries the feeder looks (about
every POLL_SECONDS, on a connection of its own) for deliveries that became "processed", committed.

The lag of a delivery is from its ``received_at`` (the stored row) to the first look that saw
it processed, so it includes the commit and overstates by up to POLL_SECONDS; the table also
gives the lag to ``processed_at`` (set inside the batch, before its commit). The worker is
started and registered before the first delivery: its start-up is not lag. Goal: p99 <= 5 s.

    PYTHONPATH=.:bench .venv/bin/python bench/pipeline_lag.py [seconds]
"""

from __future__ import annotations

import signal
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime

import psycopg
import sqlalchemy as sa
from pipeline import SHOPS, children_cpu, deliveries_of, store, worker_command, worker_env
from redis import Redis
from rq import Worker
from scratch import REDIS_URL, database_url, report, scratch_app, sized, table
from shopify_samples import make_shops

from app.config import DEFAULT_DELIVERY_WAKE_MS
from app.models import Shop, db, utcnow
from app.pipeline.deferred_wake import wake_soon

RATE = 100.0  # deliveries a second
POLL_SECONDS = 0.1
GOAL_P99_SECONDS = 5.0
# After the last delivery, how long the worker may take to catch up before the run is failed.
CATCH_UP_SECONDS = 120.0


def start_worker() -> subprocess.Popen[bytes]:
    """The Procfile's worker, waited for until it has registered with Redis."""
    worker = subprocess.Popen(
        worker_command("--quiet"),
        env=worker_env("pipeline_lag"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    connection = Redis.from_url(REDIS_URL)
    deadline = time.monotonic() + 60
    while not Worker.all(connection=connection):
        if worker.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("the worker did not start")
        time.sleep(0.1)
    return worker


def stop_worker(worker: subprocess.Popen[bytes]) -> None:
    worker.send_signal(signal.SIGTERM)  # warm shutdown: the job in hand finishes
    try:
        worker.wait(timeout=60)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


class Watcher:
    """Which stored deliveries have been seen processed (committed), and when."""

    def __init__(self) -> None:
        self.conn = psycopg.connect(database_url("pipeline_lag"), autocommit=True)
        self.pending: set[int] = set()
        self.seen: dict[int, datetime] = {}
        self.last = 0.0

    def look(self, *, now: float) -> None:
        if now - self.last < POLL_SECONDS or not self.pending:
            return
        self.last = now
        done = self.conn.execute(
            "SELECT id FROM webhook_deliveries WHERE id = ANY(%s) AND status <> 'received'",
            (list(self.pending),),
        ).fetchall()
        at = datetime.now(UTC)
        for (delivery_id,) in done:
            self.pending.discard(delivery_id)
            self.seen[delivery_id] = at


def feed(shop_ids: list[int], seconds: float, watcher: Watcher) -> float:
    """Store and wake, RATE deliveries a second for ``seconds``; the rate achieved."""
    shops = [db.session.get(Shop, shop_id) for shop_id in shop_ids]
    total = int(RATE * seconds)
    queue = []
    n = 0
    while len(queue) < total:
        shop = shops[n % len(shops)]
        assert shop is not None
        queue.extend((shop, *delivery) for delivery in deliveries_of(n, utcnow()))
        n += 1
    started = time.monotonic()
    for i, (shop, topic, delivery_id, body) in enumerate(queue[:total]):
        while (wait := started + i / RATE - time.monotonic()) > 0:
            watcher.look(now=time.monotonic())
            time.sleep(min(wait, POLL_SECONDS))
        stored = store(shop, topic, delivery_id, body, committed=True)
        watcher.pending.add(stored)
        wake_soon(stored)
        watcher.look(now=time.monotonic())
    return total / (time.monotonic() - started)


def catch_up(watcher: Watcher) -> None:
    deadline = time.monotonic() + CATCH_UP_SECONDS
    while watcher.pending and time.monotonic() < deadline:
        watcher.look(now=time.monotonic())
        time.sleep(POLL_SECONDS / 2)


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else sized(60.0, 3.0)
    with scratch_app("pipeline_lag", DELIVERY_WAKE_MS=DEFAULT_DELIVERY_WAKE_MS):
        shop_ids = make_shops(SHOPS)
        cpu_before = children_cpu()
        worker = start_worker()
        watcher = Watcher()
        try:
            fed = feed(shop_ids, seconds, watcher)
            catch_up(watcher)
        finally:
            stop_worker(worker)
        cpu = children_cpu() - cpu_before
        stored = len(watcher.seen) + len(watcher.pending)
        rows = db.session.execute(
            sa.text(
                "SELECT id, status, received_at, processed_at FROM webhook_deliveries"
                " WHERE id = ANY(:ids)"
            ),
            {"ids": list(watcher.seen)},
        ).all()
        watcher.conn.close()
    processed = [row for row in rows if row.status == "processed"]
    lags = [(watcher.seen[row.id] - row.received_at).total_seconds() for row in processed]
    inside = [(row.processed_at - row.received_at).total_seconds() for row in processed]
    p50, p99 = percentile(lags, 0.50), percentile(lags, 0.99)
    print(
        table(
            [
                ("deliveries", "fed/s", "processed", "not processed", "lag p50 s", "lag p99 s",
                 "lag max s", "to processed_at p99 s", "worker CPU s", "CPU ms each"),
                (f"{stored:,}", f"{fed:.1f}", f"{len(processed):,}",
                 f"{stored - len(processed):,}", f"{p50:.2f}", f"{p99:.2f}",
                 f"{max(lags, default=float('nan')):.2f}", f"{percentile(inside, 0.99):.2f}",
                 f"{cpu:.1f}", f"{1000 * cpu / max(len(processed), 1):.1f}"),
            ]
        )
    )  # fmt: skip
    if lags:
        print(f"\nlag mean {statistics.fmean(lags):.2f} s over {len(lags):,} deliveries")
    report(
        "pipeline: lag p99 at steady 100/s",
        f"p99 {p99:.2f} s (p50 {p50:.2f} s)",
        f"<= {GOAL_P99_SECONDS:.0f} s",
        p99 <= GOAL_P99_SECONDS and len(processed) == stored and fed >= 0.95 * RATE,
        f"{len(processed):,} of {stored:,} processed, fed at {fed:.1f}/s",
    )


if __name__ == "__main__":
    main()
