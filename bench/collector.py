"""Collector throughput: events/s accepted by ONE gunicorn sync worker with batches of 10
events, next to a bare Flask endpoint under the same settings (parse the body, answer 204).

Goal: at least half the bare endpoint's rate, and at least 5,000 events/s stored per core (the
server process's own CPU time). The load comes from two client processes on this machine (so
it shares the 2 cores with the server: compare the two rows, not the absolute numbers alone).
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import sys
import threading
import time
from datetime import UTC, datetime

import sqlalchemy as sa
from scratch import database_url, report, scratch_app, sized, table
from served import cpu_seconds, free_port, gunicorn

from app.models import Shop, StorefrontEvent, db
from app.pipeline.storefront import ensure_collect_key

SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else sized(10.0, 2.0)
CLIENTS, THREADS, BATCH = 2, 4, 10
DB = "collect"
ORIGIN = "https://bench.example"


def _body(key: str, visitor: int) -> bytes:
    at = datetime.now(UTC).isoformat()
    events = [
        {"type": "product_viewed", "product_id": str(100 + n), "at": at} for n in range(BATCH)
    ]
    batch = {"shop": "bench.example", "key": key, "visitor": f"visitor-{visitor:08d}"}
    return json.dumps({**batch, "events": events}).encode()


def _client(port: int, key: str, seconds: float, seed: int, out: multiprocessing.Queue) -> None:
    counts = [0] * THREADS

    def run(index: int) -> None:
        end = time.monotonic() + seconds
        visitor = seed * 1_000_000 + index * 100_000
        while time.monotonic() < end:
            visitor += 1
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            headers = {"Content-Type": "text/plain", "Origin": ORIGIN}
            conn.request("POST", "/collect/demo", _body(key, visitor), headers)
            if conn.getresponse().status == 204:
                counts[index] += BATCH
            conn.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out.put(sum(counts))


def _serve(factory: str, port: int) -> tuple[int, float]:
    """(events accepted, server CPU seconds) for one gunicorn worker serving ``factory``."""
    env = {"STOREFLOW_BENCH_COLLECT_DB": database_url(DB)}
    with gunicorn(f"collector_apps:{factory}()", port, 1, env) as server:
        key = _key()
        before = cpu_seconds(server)
        out: multiprocessing.Queue = multiprocessing.Queue()
        clients = [
            multiprocessing.Process(target=_client, args=(port, key, SECONDS, n, out))
            for n in range(CLIENTS)
        ]
        for client in clients:
            client.start()
        accepted = sum(out.get() for _ in clients)
        for client in clients:
            client.join()
        return accepted, cpu_seconds(server) - before


def _key() -> str:
    shop = db.session.scalars(sa.select(Shop)).one()
    return shop.storefront_tracking.collect_key


def main() -> None:
    with scratch_app(DB):
        shop = Shop(platform="demo", domain="bench.example", status="active", name="Bench")
        db.session.add(shop)
        db.session.flush()
        ensure_collect_key(shop)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
        bare, bare_cpu = _serve("bare", free_port())
        ours, ours_cpu = _serve("storeflow", free_port())
        stored = db.session.scalar(sa.select(sa.func.count()).select_from(StorefrontEvent)) or 0
        rows = [("endpoint", "events accepted", "events/s", "server CPU s", "events/s per core")]
        for name, events, cpu in (("bare Flask", bare, bare_cpu), ("collector", ours, ours_cpu)):
            rows.append(
                (
                    name,
                    f"{events:,}",
                    f"{events / SECONDS:,.0f}",
                    f"{cpu:.1f}",
                    f"{events / cpu:,.0f}" if cpu else "-",
                )
            )
        print(table(rows))
        ratio = ours / bare if bare else 0.0
        per_core = ours / ours_cpu if ours_cpu else 0.0
        print(f"\nstored rows: {stored:,} (accepted {ours:,})")
        print(f"collector / bare: {ratio:.2f} (goal >= 0.50: {'yes' if ratio >= 0.5 else 'NO'})")
        met = "yes" if per_core >= 5000 else "NO"
        print(f"stored per core: {per_core:,.0f}/s (goal >= 5,000: {met})")
        report(
            "collector: events/s vs bare Flask",
            f"{ratio:.2f} of bare ({ours / SECONDS:,.0f}/s)",
            ">= 0.50",
            ratio >= 0.5,
            f"bare {bare / SECONDS:,.0f}/s",
        )
        report(
            "collector: stored events per server CPU s",
            f"{per_core:,.0f}/s",
            ">= 5,000/s",
            per_core >= 5000,
        )


if __name__ == "__main__":
    main()
