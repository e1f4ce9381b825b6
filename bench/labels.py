"""Labels benchmark: 500 own labels drawn and merged into one PDF, then the same end to end;
then the tracking plan over 100,000 open shipments.

Rows:
- draw + merge: the own-labels adapter draws 500 A6 labels, pypdf merges them (no database).
- end to end: 500 paid orders → shipments created (one row each, idempotent) → one bulk PDF,
  through the real code path on a real database and Redis.
- fake courier: 500 paid orders shipped with FAN Courier's adapter against a local fake of its
  API answering every AWB in 200 ms, by 8 concurrent workers (threads, each with its own app
  context and database session, as 8 RQ jobs would run). Goal: ≤ 20 s wall time. Needs
  PostgreSQL (``STOREFLOW_BENCH_DATABASE_URL``) to mean anything: SQLite serialises writers.
- tracking plan: 100,000 open shipments of four couriers, all due; ``tracking.claim_due``
  (the database half of ``plan_tracking``: select the due rows at each courier's pace, lease
  them) run until none is left. Goal: ≤ 5 s of database time in all.

Baselines measured in the same run: the fake-courier row beside one job alone on an eighth of
the shipments (the wall time eight perfectly overlapping jobs would need), the tracking plan
beside one plain read of every due row.

Run: ``PYTHONPATH=.:bench .venv/bin/python bench/labels.py [shipments] [open_shipments]``
(defaults 500 and 100,000). The database rows use a scratch
database ``bench_labels`` on ``STOREFLOW_BENCH_DATABASE_URL`` and ``STOREFLOW_BENCH_REDIS_URL``
(``bench/scratch.py``); ``BENCH_SCALE=small`` makes 20 labels and 2,000 open shipments.
"""

from __future__ import annotations

import io
import json
import os
import queue as queues_
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import count

import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade
from pypdf import PdfReader
from scratch import bench_config, flush_redis, report, scratch_database, sized

from app import MIGRATIONS_DIR, create_app
from app.connectors.couriers.base import Address, Parcel, ShipmentRequest
from app.connectors.couriers.own import OwnLabels, label_content
from app.connectors.couriers.own.pdf import render_many
from app.demo.labels import DEMO_SENDER
from app.models import Order, Shipment, Shop, ShopScope, db, utcnow
from app.shipping import settings as label_settings
from app.shipping import tracking
from app.shipping.bulk import bulk_print
from app.shipping.shipments import create_shipment

COUNT = int(sys.argv[1]) if len(sys.argv) > 1 else sized(500, 20)
SENDER = Address(
    name="Demo Boutique",
    street="Marszałkowska",
    building_number="104",
    city="Warszawa",
    postal_code="00-017",
    country_code="PL",
)
RECIPIENT = Address(
    name="Łucja Wiśniewska",
    street="Długa",
    building_number="12",
    city="Kraków",
    postal_code="31-146",
    country_code="PL",
    phone="600100200",
)


def _rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure(work: Callable[[], bytes]) -> tuple[float, float, bytes]:
    """Seconds, and peak resident memory growth (MiB) sampled every 5 ms while it ran."""
    base, peak, done = _rss_mib(), [0.0], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _rss_mib() - base)
            time.sleep(0.005)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    pdf = work()
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    return elapsed, max(peak[0], _rss_mib() - base), pdf


def draw_and_merge() -> bytes:
    """Each label drawn on its own (as at shipment creation), then one bulk PDF of them all."""
    adapter = OwnLabels(prefix="SF")
    contents = []
    for n in range(1, COUNT + 1):
        request = ShipmentRequest(
            order_reference=str(1000 + n),
            sender=SENDER,
            recipient=RECIPIENT,
            parcels=(Parcel(Decimal("1.2")),),
            idempotency_key=f"{n}",
            sequence=n,
            cod_amount=Decimal("189.00") if n % 3 == 0 else None,
        )
        result = adapter.create_shipment(request)
        contents.append(label_content(request, result.tracking_number or ""))
    return render_many(contents)


def _paid_orders(
    shop_id: int, address: dict[str, str] | None = None, count: int = COUNT
) -> list[int]:
    """A shop's ``count`` paid orders without shipments, as bulk print finds them."""
    scope, start = ShopScope(shop_id), datetime(2026, 11, 1, tzinfo=UTC)
    address = address or {
        "name": "Anna Kowalska",
        "address1": "Długa 12",
        "city": "Kraków",
        "zip": "31-146",
    }
    orders = [
        scope.add(
            Order(
                platform_order_id=str(n),
                order_number=str(n),
                paid_at=start + timedelta(seconds=n),
                total=Decimal("99"),
                shipping_address=address,
                placed_at=start + timedelta(seconds=n),
            )
        )
        for n in range(count)
    ]
    db.session.commit()
    return [order.id for order in orders]


def _bench_shop() -> int:
    shop = Shop(platform="demo", domain=f"bench-{time.time_ns()}.example", status="active")
    db.session.add(shop)
    db.session.commit()
    settings = label_settings.LabelSettings(
        enabled=True, courier="own", trigger="manual", sender=DEMO_SENDER
    )
    label_settings.save(shop.id, settings)
    db.session.commit()
    return shop.id


def end_to_end() -> tuple[float, float, bytes, float]:
    """As ``measure``, and the CPU seconds of this process (the database's are not in it)."""
    with _bench_app() as app, app.app_context():
        shop_id = _bench_shop()
        ids = _paid_orders(shop_id)
        cpu = time.process_time()
        elapsed, peak, pdf = measure(lambda: bulk_print(shop_id, ids).pdf or b"")
        return elapsed, peak, pdf, time.process_time() - cpu


OPEN_SHIPMENTS = int(sys.argv[2]) if len(sys.argv) > 2 else sized(100_000, 2_000)
WORKERS = 8
COURIER_DELAY = 0.2


def _fake_fan_courier() -> tuple[str, Callable[[], None]]:
    """A local stand-in for FAN Courier's API: login, localities, AWB (200 ms), label."""
    numbers = count(2_000_000_000_000)
    label = (
        OwnLabels(prefix="SF")
        .create_shipment(
            ShipmentRequest(
                order_reference="1",
                sender=SENDER,
                recipient=RECIPIENT,
                parcels=(Parcel(Decimal("1")),),
                idempotency_key="1",
                sequence=1,
            )
        )
        .label
    )

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _json(self, body: object) -> None:
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path.startswith("/login"):
                self._json({"status": "success", "data": {"token": "bench"}})
                return
            time.sleep(COURIER_DELAY)
            self._json({"response": [{"awbNumber": next(numbers), "errors": None}]})

        def do_GET(self) -> None:
            if self.path.startswith("/reports/localities"):
                row = {"id": "233", "name": "Fetesti", "county": "Ialomita"}
                self._json({"status": "success", "data": [row]})
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/pdf")
            self.send_header("Content-Length", str(len(label or b"")))
            self.end_headers()
            self.wfile.write(label or b"")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}", server.shutdown


def fake_courier(count: int = COUNT, workers: int = WORKERS) -> tuple[float, int, int]:
    """Wall seconds for ``count`` shipments by ``workers`` concurrent workers; created; failed."""
    url, stop_courier = _fake_fan_courier()
    # STOREFLOW_FAN_COURIER_URL, as development sets it
    with _bench_app(FAN_COURIER_URL=url) as app:
        with app.app_context():
            shop_id = _bench_shop()
            settings = label_settings.load(shop_id)
            credentials = {"client_id": 1, "username": "bench", "password": "bench"}
            label_settings.save(
                shop_id,
                label_settings.LabelSettings(
                    **{**settings.as_values(), "courier": "fan_courier", "enabled": True}
                ),
                credentials,
            )
            db.session.commit()
            ids = _paid_orders(shop_id, _FETESTI, count)
        todo: queues_.Queue[int] = queues_.Queue()
        for order_id in ids:
            todo.put(order_id)

        def work() -> None:
            with app.app_context():
                while True:
                    try:
                        order_id = todo.get_nowait()
                    except queues_.Empty:
                        return
                    create_shipment(shop_id, order_id)
                    db.session.remove()

        started = time.perf_counter()
        threads = [threading.Thread(target=work) for _ in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        with app.app_context():
            rows = ShopScope(shop_id).all(Shipment)
            created = sum(1 for row in rows if row.status == "created")
    stop_courier()
    return elapsed, created, len(rows) - created


_FETESTI = {
    "name": "Ion Popescu",
    "address1": "Grausor 12",
    "city": "Fetesti",
    "province": "Ialomita",
    "zip": "925100",
    "country_code": "RO",
    "phone": "0720000000",
}


def _open_shipments(shop_id: int) -> None:
    """OPEN_SHIPMENTS created shipments, all due for a tracking check, spread over couriers."""
    order = ShopScope(shop_id).add(
        Order(platform_order_id="bulk", paid_at=utcnow(), total=Decimal("1"), placed_at=utcnow())
    )
    db.session.flush()
    couriers = ("inpost", "sameday", "fan_courier", "cargus")
    due = utcnow() - timedelta(minutes=1)
    for start in range(0, OPEN_SHIPMENTS, 10_000):
        rows = [
            {
                "shop_id": shop_id,
                "order_id": order.id,
                "parcel_index": n,
                "courier": couriers[n % 4],
                "status": "created",
                "idempotency_key": f"b{n}",
                "tracking_number": f"T{n}",
                "label_format": "PDF_A6",
                "request": {},
                "tracking_status": "in_transit",
                "next_track_at": due - timedelta(seconds=n),
                "created_at": due,
                "updated_at": due,
            }
            for n in range(start, min(start + 10_000, OPEN_SHIPMENTS))
        ]
        db.session.execute(sa.insert(Shipment), rows)
    db.session.commit()


def tracking_plan() -> tuple[float, int, int, float]:
    """Database seconds to plan every due check of OPEN_SHIPMENTS, runs, shipments planned;
    and the baseline: seconds of one plain read of every due row's id and shop."""
    with _bench_app() as app, app.app_context():
        _open_shipments(_bench_shop())
        now = utcnow()
        started = time.perf_counter()
        due = sa.select(Shipment.id, Shipment.shop_id).where(Shipment.next_track_at <= now)
        read = len(db.session.execute(due).all())
        baseline = time.perf_counter() - started
        db.session.commit()
        assert read == OPEN_SHIPMENTS, read
        planned, runs, seconds = 0, 0, 0.0
        minutes = int(tracking.PLAN_EVERY.total_seconds() // 60)
        while True:
            started = time.perf_counter()
            found = 0
            for courier in tracking.tracked_couriers():
                pace = tracking.COURIER_PACE.get(courier, tracking.DEFAULT_PACE)
                found += len(tracking.claim_due(courier, now, pace * minutes))
            db.session.commit()
            seconds += time.perf_counter() - started
            if not found:
                return seconds, runs, planned, baseline
            runs, planned = runs + 1, planned + found


@contextmanager
def _bench_app(**overrides: object) -> Iterator[Flask]:
    """The app on a fresh scratch database (``bench/scratch.py``), dropped afterwards."""
    with scratch_database("labels"):
        flush_redis()
        app = create_app(bench_config("labels", **overrides))
        with app.app_context():
            upgrade(directory=MIGRATIONS_DIR)
        try:
            yield app
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
            flush_redis()


def main() -> None:
    rows = []
    cpu = time.process_time()
    elapsed, peak, pdf = measure(draw_and_merge)
    draw_cpu = time.process_time() - cpu
    rows.append(("draw + merge (no database)", elapsed, peak, pdf))
    e2e, peak, pdf, e2e_cpu = end_to_end()
    rows.append(("end to end (orders → shipments → PDF)", e2e, peak, pdf))
    print(f"\n{COUNT} own labels into one PDF")
    head = ("path", "pages", "seconds", "labels/s", "peak MiB", "PDF MiB")
    print("| {:<40} | {:>5} | {:>7} | {:>8} | {:>8} | {:>7} |".format(*head))
    print(f"|{'-' * 42}|{'-' * 7}|{'-' * 9}|{'-' * 10}|{'-' * 10}|{'-' * 9}|")
    for name, seconds, peak_mib, content in rows:
        pages = len(PdfReader(io.BytesIO(content)).pages)
        print(
            f"| {name:<40} | {pages:>5} | {seconds:>7.2f} | {COUNT / seconds:>8.0f} | "
            f"{peak_mib:>8.1f} | {len(content) / 2**20:>7.1f} |"
        )
    print("\npeak MiB: growth of the process's resident memory while the row ran")
    print(f"draw + merge: {draw_cpu:.2f} CPU seconds of this process")
    print(f"end to end: {e2e_cpu:.2f} CPU seconds of this process")
    # Per core, as the render goal: CPU seconds, which other load on the machine cannot inflate.
    per_cpu_second = COUNT / draw_cpu
    report(
        f"labels: own A6 labels/s into one PDF ({COUNT})",
        f"{per_cpu_second:,.0f}/s per core",
        ">= 200/s",
        per_cpu_second >= 200,
        f"wall {COUNT / rows[0][1]:,.0f}/s",
    )
    report(
        f"labels: {COUNT} paid orders → one PDF",
        f"{e2e:.1f} s ({e2e_cpu:.1f} s CPU)",
        "<= 10 s",
        e2e <= 10,
    )
    elapsed, created, failed = fake_courier()
    alone = max(COUNT // WORKERS, 1)
    base_elapsed, base_created, base_failed = fake_courier(alone, 1)
    print(
        f"\n{COUNT} shipments through a fake courier answering in "
        f"{COURIER_DELAY * 1000:.0f} ms with {WORKERS} concurrent jobs (goal <= 20 s)"
    )
    print("| run | shipments | created | failed | wall seconds | shipments/s | goal met |")
    print("|-----|-----------|---------|--------|--------------|-------------|----------|")
    print(
        f"| {WORKERS} concurrent jobs | {COUNT} | {created} | {failed} | {elapsed:.2f} | "
        f"{COUNT / elapsed:.1f} | {'yes' if elapsed <= 20 and not failed else 'no'} |"
    )
    print(
        f"| baseline: 1 job | {alone} | {base_created} | {base_failed} | {base_elapsed:.2f} | "
        f"{alone / base_elapsed:.1f} | |"
    )
    print(
        f"\n{WORKERS} perfectly overlapping jobs would need the baseline's {base_elapsed:.2f} s; "
        f"one job alone about {base_elapsed * WORKERS:.1f} s"
    )
    report(
        f"labels: {COUNT} shipments, courier 200 ms, {WORKERS} jobs",
        f"{elapsed:.1f} s, {failed} failed",
        "<= 20 s, none failed",
        elapsed <= 20 and failed == 0,
        f"1 job on {alone}: {base_elapsed:.1f} s",
    )
    seconds, runs, planned, baseline = tracking_plan()
    print(
        f"\ntracking poll of {OPEN_SHIPMENTS:,} open shipments planned in <= 5 s of database time"
    )
    print("| run | plans (5-minute runs) | shipments | database seconds | goal met |")
    print("|-----|-----------------------|-----------|------------------|----------|")
    print(
        f"| plan_tracking's claims | {runs} | {planned:,} | {seconds:.2f} | "
        f"{'yes' if seconds <= 5 else 'no'} |"
    )
    print(
        f"| baseline: one plain read of the due rows | 1 | {OPEN_SHIPMENTS:,} | {baseline:.2f} | |"
    )
    report(
        f"tracking plan over {OPEN_SHIPMENTS:,} open shipments",
        f"{seconds:.2f} s",
        "<= 5 s",
        seconds <= 5,
        f"plain read {baseline:.2f} s",
    )


if __name__ == "__main__":
    main()
