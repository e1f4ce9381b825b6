"""Shopify bulk catalog import: 100,000 products in at most 60 s and 250 MB of peak RSS.

Streams generated JSONL (one product + one variant per product, the bulk operation's layout:
the variant names its product in ``__parentId``) through ``catalog.import_lines`` into a
scratch PostgreSQL database, as the sync job does with the downloaded file. Peak memory is
the process's resident set (sampled every 10 ms, and the kernel's high-water mark), not the
Python heap: it is what a worker's container limit sees, app and libraries included.

    PYTHONPATH=.:bench .venv/bin/python bench/shopify_bulk_import.py [products]
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Iterator

import sqlalchemy as sa
from scratch import report, scratch_app, sized, table

from app.connectors.shopify import catalog
from app.models import Product, Shop, db

PRODUCTS = int(sys.argv[1]) if len(sys.argv) > 1 else sized(100_000, 1_000)
LIMIT_SECONDS, LIMIT_MB = 60.0, 250.0


def lines(products: int) -> Iterator[str]:
    for n in range(1, products + 1):
        gid = f"gid://shopify/Product/{n}"
        yield json.dumps(
            {
                "id": gid,
                "title": f"Product {n}",
                "handle": f"product-{n}",
                "productType": "Shirts",
                "status": "ACTIVE",
                "updatedAt": "2026-11-20T10:00:00Z",
            }
        )
        yield json.dumps(
            {
                "id": f"gid://shopify/ProductVariant/{n}",
                "title": "M",
                "sku": f"SKU-{n}",
                "price": "19.99",
                "inventoryQuantity": 3,
                "__parentId": gid,
            }
        )


def status_mb(field: str) -> float:
    """A ``/proc/self/status`` memory field (VmRSS, VmHWM) in MB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1000
    raise LookupError(field)


class PeakRss:
    """The highest resident set seen while the block runs, sampled every 10 ms."""

    def __init__(self) -> None:
        self.peak = 0.0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._done.is_set():
            self.peak = max(self.peak, status_mb("VmRSS"))
            time.sleep(0.01)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()
        self.peak = max(self.peak, status_mb("VmRSS"))


def main() -> None:
    with scratch_app("shopify_catalog"):
        shop = Shop(platform="shopify", domain="bench.myshopify.com", status="active")
        db.session.add(shop)
        db.session.commit()
        before = status_mb("VmRSS")
        cpu, started = time.process_time(), time.perf_counter()
        with PeakRss() as rss:
            catalog.import_lines(shop, lines(PRODUCTS))
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        stored = db.session.scalar(sa.select(sa.func.count()).select_from(Product)) or 0
        print(
            table(
                [
                    ("products", "stored", "seconds", "CPU s", "products/s", "RSS before MB",
                     "peak RSS MB", "high-water MB"),
                    (f"{PRODUCTS:,}", f"{stored:,}", f"{elapsed:.1f}", f"{cpu:.1f}",
                     f"{PRODUCTS / elapsed:,.0f}", f"{before:.0f}", f"{rss.peak:.0f}",
                     f"{status_mb('VmHWM'):.0f}"),
                ]
            )
        )  # fmt: skip
        report(
            f"catalog: Shopify bulk, {PRODUCTS:,} products",
            f"{elapsed:.1f} s ({cpu:.1f} s CPU)",
            "<= 60 s",
            elapsed <= LIMIT_SECONDS and stored == PRODUCTS,
            f"{PRODUCTS / elapsed:,.0f} products/s",
        )
        report(
            f"catalog: Shopify bulk, peak RSS ({PRODUCTS:,})",
            f"{rss.peak:.0f} MB",
            "<= 250 MB",
            rss.peak <= LIMIT_MB,
            f"{before:.0f} MB before the import",
        )


if __name__ == "__main__":
    main()
