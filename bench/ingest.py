"""Webhook ingest: Storeflow's web process against a bare Flask endpoint, same gunicorn, same load.

Both are served as the Procfile serves ``web`` (gunicorn, ``WEB_CONCURRENCY`` sync workers,
default 2, timeout 30 s). The load: 16 connections (two client processes of eight threads),
each POSTing signed Shopify ``checkouts/update`` deliveries, the documented sample
(``tests/fixtures/shopify/checkouts_create.json``, 6.8 kB) with its own checkout id, token and
``X-Shopify-Webhook-Id`` each time, for ``SECONDS``. Goals: at least half the bare endpoint's
requests/s, p99 at most 50 ms, and nothing lost: every 200 is a stored delivery, once.

The clients run on the same two cores as the servers, PostgreSQL and Redis: compare the two
rows, not the absolute figures alone.

    PYTHONPATH=.:bench .venv/bin/python bench/ingest.py [seconds]
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import multiprocessing
import os
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app
from scratch import database_url, report, scratch_app, sized, table
from served import cpu_seconds, free_port, gunicorn

from app.models import Shop, WebhookDelivery, db

SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else sized(20.0, 2.0)
CLIENTS, THREADS = 2, 8
WORKERS = int(os.environ.get("WEB_CONCURRENCY", "2"))
DOMAIN = "bench.myshopify.com"
SAMPLE = Path(__file__).resolve().parent.parent / "tests/fixtures/shopify/checkouts_create.json"
RATIO_GOAL, P99_GOAL_MS = 0.5, 50.0


def _request(secret: str, sample: dict[str, Any], n: int) -> tuple[bytes, dict[str, str]]:
    checkout = {**sample, "id": 10**12 + n, "token": uuid.uuid4().hex, "cart_token": f"c{n}"}
    body = json.dumps(checkout).encode()
    signature = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": "checkouts/update",
        "X-Shopify-Hmac-Sha256": signature.decode(),
        "X-Shopify-Shop-Domain": DOMAIN,
        "X-Shopify-Webhook-Id": str(uuid.uuid4()),
        "X-Shopify-Event-Id": str(uuid.uuid4()),
        "X-Shopify-Triggered-At": "2026-11-20T10:00:00.000000Z",
        "X-Shopify-API-Version": "2026-10",
    }
    return body, headers


def _client(port: int, secret: str, seed: int, out: multiprocessing.Queue) -> None:
    """THREADS connections posting until SECONDS are up: (status counts, latencies in ms)."""
    sample = json.loads(SAMPLE.read_text())
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    lock = threading.Lock()
    end = time.monotonic() + SECONDS

    def run(index: int) -> None:
        n = (seed * THREADS + index) * 10_000_000
        mine: list[tuple[int, float]] = []
        while time.monotonic() < end:
            n += 1
            body, headers = _request(secret, sample, n)
            started = time.perf_counter()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=35)
                conn.request("POST", "/webhooks/shopify", body, headers)
                response = conn.getresponse()
                answer = response.read()
                status = response.status
                conn.close()
            except OSError:
                status, answer = 0, b""
            if status == 200 and b"received" not in answer:
                status = 299  # a 200 that stored nothing (an unknown shop): counted apart
            mine.append((status, (time.perf_counter() - started) * 1000))
        with lock:
            for status, ms in mine:
                statuses[status] = statuses.get(status, 0) + 1
                latencies.append(ms)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out.put((statuses, latencies))


def _load(factory: str, secret: str) -> dict[str, Any]:
    port = free_port()
    env = {"STOREFLOW_BENCH_INGEST_DB": database_url("ingest")}
    with gunicorn(f"ingest_apps:{factory}()", port, WORKERS, env) as server:
        before = cpu_seconds(server)
        out: multiprocessing.Queue = multiprocessing.Queue()
        clients = [
            multiprocessing.Process(target=_client, args=(port, secret, n, out))
            for n in range(CLIENTS)
        ]
        started = time.perf_counter()
        for client in clients:
            client.start()
        statuses: dict[int, int] = {}
        latencies: list[float] = []
        for _ in clients:
            got_statuses, got_latencies = out.get()
            for status, count in got_statuses.items():
                statuses[status] = statuses.get(status, 0) + count
            latencies.extend(got_latencies)
        for client in clients:
            client.join()
        elapsed = time.perf_counter() - started
        cpu = cpu_seconds(server) - before
    latencies.sort()
    ok = statuses.get(200, 0)
    return {
        "requests": len(latencies),
        "ok": ok,
        "statuses": statuses,
        "per_second": ok / elapsed,
        "p50": latencies[len(latencies) // 2] if latencies else 0.0,
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else 0.0,
        "cpu": cpu,
    }


def main() -> None:
    with scratch_app("ingest"):
        db.session.add(Shop(platform="shopify", domain=DOMAIN, status="active", name="Bench"))
        db.session.commit()
        secret = current_app.config["SHOPIFY_API_SECRET"]
        db.session.remove()
        db.engine.dispose()
        bare = _load("bare", secret)
        ours = _load("storeflow", secret)
        stored = db.session.scalar(sa.select(sa.func.count()).select_from(WebhookDelivery)) or 0
        distinct = db.session.scalar(
            sa.select(sa.func.count(sa.distinct(WebhookDelivery.delivery_id)))
        )
    rows = [("endpoint", "requests", "200s", "other", "req/s", "p50 ms", "p99 ms", "server CPU s")]
    for name, run in (("bare Flask", bare), ("storeflow", ours)):
        other = {k: v for k, v in run["statuses"].items() if k != 200}
        rows.append(
            (
                name,
                f"{run['requests']:,}",
                f"{run['ok']:,}",
                ", ".join(f"{k}: {v}" for k, v in other.items()) or "-",
                f"{run['per_second']:,.0f}",
                f"{run['p50']:.0f}",
                f"{run['p99']:.0f}",
                f"{run['cpu']:.1f}",
            )
        )
    print(f"\n{SECONDS:.0f} s each, {CLIENTS * THREADS} connections, gunicorn -w {WORKERS}\n")
    print(table(rows))
    lost = ours["ok"] - stored
    print(
        f"\nstored deliveries: {stored:,} ({distinct:,} distinct) for {ours['ok']:,} answered 200"
    )
    ratio = ours["per_second"] / bare["per_second"] if bare["per_second"] else 0.0
    report(
        "ingest: req/s vs bare endpoint (16 conn.)",
        f"{ratio:.2f} of bare ({ours['per_second']:,.0f}/s)",
        f">= {RATIO_GOAL:.2f}",
        ratio >= RATIO_GOAL,
        f"bare {bare['per_second']:,.0f}/s",
    )
    report(
        "ingest: p99 latency (16 conn.)",
        f"{ours['p99']:.0f} ms",
        f"<= {P99_GOAL_MS:.0f} ms",
        ours["p99"] <= P99_GOAL_MS,
        f"bare {bare['p99']:.0f} ms",
    )
    report(
        "ingest: lost deliveries (200 but not stored)",
        f"{lost:,} of {ours['ok']:,}",
        "0",
        lost == 0 and stored == distinct,
    )


if __name__ == "__main__":
    main()
