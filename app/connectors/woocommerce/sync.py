"""Catalog sync: every product page over REST, fetched by a few threads, upserted in batches.

Polite to the store: at most ``SYNC_CONCURRENCY`` requests in flight, and at most twice that
many pages held in memory. Progress lives in ``shop.sync_state`` and is committed after
each page, so a job killed half-way resumes where it stopped. Between full syncs, product
webhooks keep the catalog current.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import islice
from typing import Any

from rq import Retry

from app.connectors.woocommerce.client import PER_PAGE, StoreClient, is_reachable_store
from app.connectors.woocommerce.mapping import product_event
from app.events.catalog import upsert_products
from app.logs import fields as log_fields
from app.models import Shop, db, utcnow
from app.models.shop_settings import SyncState
from app.pipeline import queues

log = logging.getLogger(__name__)
SYNC_CONCURRENCY = 4
Page = list[tuple[dict[str, Any], list[dict[str, Any]]]]  # (product, its variations)


def _progress(shop: Shop, restart: bool) -> dict[str, Any]:
    current = shop.sync_state.to_json()
    if restart or current.get("status") != "running":
        current = {"status": "running", "started_at": utcnow().isoformat(), "done_pages": []}
        current.update(total_pages=None, total_products=None, synced=0)
    return current


def _save(shop: Shop, progress: dict[str, Any]) -> None:
    shop.sync_state = SyncState.from_json({"sync": progress})
    db.session.commit()


@queues.job("sync", timeout=3600, retry=Retry(max=3, interval=[60, 300, 900]))
def sync_catalog(shop_id: int, restart: bool = False) -> dict[str, Any]:
    """Sync the whole catalog, resuming an interrupted run unless ``restart``."""
    shop = db.session.get(Shop, shop_id)
    if not is_reachable_store(shop):
        return {"status": "skipped"}
    progress = _progress(shop, restart)
    client = StoreClient(shop)
    if progress["total_pages"] is None:
        rows, headers = client.call_with_headers("GET", "products", page=1, per_page=PER_PAGE)
        progress["total_pages"] = int(headers.get("X-WP-TotalPages") or 1)
        progress["total_products"] = int(headers.get("X-WP-Total") or len(rows))
        _store_page(shop, progress, 1, _with_variations(client, rows))
    done = set(progress["done_pages"])
    remaining = [p for p in range(1, progress["total_pages"] + 1) if p not in done]
    for page, rows in _fetch_pages(client, remaining):
        _store_page(shop, progress, page, rows)
    progress.update(status="done", finished_at=utcnow().isoformat(), done_pages=[])
    _save(shop, progress)
    log.info("catalog synced", extra=log_fields(shop=shop_id, products=progress["synced"]))
    return progress


def _store_page(shop: Shop, progress: dict[str, Any], page: int, rows: Page) -> None:
    events = [product_event(shop.id, row, variations) for row, variations in rows]
    upsert_products(shop.id, events)
    progress["done_pages"] = sorted({*progress["done_pages"], page})
    progress["synced"] += len(events)
    _save(shop, progress)


def _with_variations(client: StoreClient, rows: list[dict]) -> Page:
    """Each product with its variations (one more request per variable product)."""
    page: Page = []
    for row in rows:
        variations: list[dict] = []
        if row.get("type") == "variable" and row.get("variations"):
            for chunk in client.pages(f"products/{row['id']}/variations"):
                variations.extend(chunk)
        page.append((row, variations))
    return page


def _fetch_pages(client: StoreClient, pages: list[int]) -> Iterator[tuple[int, Page]]:
    """Pages in order, fetched ahead by a bounded pool; the caller stores each as it comes."""

    def fetch(page: int) -> Page:
        return _with_variations(
            client, client.call("GET", "products", page=page, per_page=PER_PAGE)
        )

    todo = iter(pages)
    with ThreadPoolExecutor(max_workers=SYNC_CONCURRENCY, thread_name_prefix="woo-sync") as pool:
        window: deque[tuple[int, Future[Page]]] = deque(
            (page, pool.submit(fetch, page)) for page in islice(todo, 2 * SYNC_CONCURRENCY)
        )
        while window:
            page, future = window.popleft()
            yield page, future.result()
            following = next(todo, None)
            if following is not None:
                window.append((following, pool.submit(fetch, following)))
