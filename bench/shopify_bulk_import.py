"""Shopify bulk catalog import: throughput and peak memory as the export grows.

Streams generated JSONL (one product + one variant per product) through
``catalog.import_lines`` and prints lines per second and the peak Python memory. Peak memory
should stay flat as the file grows: lines are never held all at once.

    .venv/bin/python bench/shopify_bulk_import.py            # SQLite in a temp dir
    STOREFLOW_DATABASE_URL=postgresql://... .venv/bin/python bench/shopify_bulk_import.py
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import tracemalloc
from collections.abc import Iterator

from app import create_app
from app.config import config_for_tests
from app.connectors.shopify import catalog
from app.models import Product, Shop, db

SIZES = (2_000, 10_000, 20_000)


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


def run(products: int) -> tuple[float, float]:
    db.session.execute(db.delete(Product))
    shop = db.session.scalars(db.select(Shop)).one()
    shop.settings = {}
    db.session.commit()
    tracemalloc.start()
    started = time.perf_counter()
    catalog.import_lines(shop, lines(products))
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return elapsed, peak


def main() -> None:
    url = os.environ.get("STOREFLOW_DATABASE_URL") or (
        f"sqlite:///{os.path.join(tempfile.mkdtemp(prefix='sf-bench-'), 'bench.db')}"
    )
    app = create_app(config_for_tests(url, "redis://127.0.0.1:6379/15"))
    with app.app_context():
        db.drop_all()
        db.create_all()
        db.session.add(Shop(platform="shopify", domain="bench.myshopify.com", status="active"))
        db.session.commit()
        print(f"database: {url.split('@')[-1]}")
        print(f"{'products':>9} {'lines':>7} {'seconds':>8} {'lines/s':>8} {'peak MiB':>9}")
        for size in SIZES:
            elapsed, peak = run(size)
            print(
                f"{size:>9} {size * 2:>7} {elapsed:>8.2f} {size * 2 / elapsed:>8.0f} {peak:>9.1f}"
            )


if __name__ == "__main__":
    main()
