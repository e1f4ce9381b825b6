"""Full catalog sync by bulk operation, streamed line by line into batched upserts.

Progress lives in ``shop.sync_state`` = {state, operation_id, rows_done, rows_total,
cursor, started_at, finished_at, error}. ``cursor`` is the number of JSONL lines already
stored (always at a product boundary), so a retried import skips them instead of starting over.
Between full syncs, product webhooks keep the catalog current; a nightly reconcile re-runs it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from rq import Retry

from app.connectors.base import ShopRef
from app.connectors.shopify import auth
from app.connectors.shopify.graphql import AdminClient, ShopifyApiError, user_errors
from app.connectors.shopify.mapping import parse_bulk_product
from app.connectors.shopify.shops import for_each_active_shop
from app.events.catalog import mark_missing_deleted, upsert_products
from app.models import Shop, db, utcnow
from app.models.shop_settings import SyncState
from app.pipeline import queues

log = logging.getLogger(__name__)
BATCH_LINES = 5000
POLL_SECONDS = 10
SYNC_RETRY = Retry(max=3, interval=[60, 300, 900])

PRODUCTS_QUERY = """
{
  products {
    edges {
      node {
        id title handle productType status updatedAt onlineStoreUrl
        featuredMedia { preview { image { url } } }
        variants {
          edges {
            node { id title sku price compareAtPrice inventoryQuantity inventoryPolicy }
          }
        }
      }
    }
  }
}
"""

RUN_BULK = """
mutation RunBulk($query: String!) {
  bulkOperationRunQuery(query: $query) {
    bulkOperation { id status }
    userErrors { field message }
  }
}
"""

# The poll also reads the shop's primary domain: product pages are built on it (webhooks carry
# no onlineStoreUrl), and asking here keeps it current without a request of its own.
POLL_BULK = """
query Bulk($id: ID!) {
  node(id: $id) {
    ... on BulkOperation { id status errorCode objectCount url partialDataUrl }
  }
  shop { primaryDomain { url } }
}
"""


def _set_sync(shop: Shop, **changes: Any) -> None:
    shop.sync_state = replace(shop.sync_state, **changes)


def start_full_sync(shop: Shop, client: AdminClient) -> None:
    """Ask Shopify for a bulk export of the catalog; a job polls until the file is ready."""
    data = client.execute("bulkOperationRunQuery", RUN_BULK, {"query": PRODUCTS_QUERY})
    payload = user_errors(shop, "bulkOperationRunQuery", data.get("bulkOperationRunQuery"))
    _set_sync(
        shop,
        state="running",
        operation_id=payload["bulkOperation"]["id"],
        rows_done=0,
        rows_total=None,
        cursor=0,
        started_at=utcnow().isoformat(),
        finished_at=None,
        error=None,
    )
    queues.enqueue_after_commit(db.session(), poll_catalog_sync, shop.id)


@queues.job("sync", timeout=3600, retry=SYNC_RETRY)
def poll_catalog_sync(shop_id: int) -> str:
    """Check the bulk operation; import its file once complete. Safe to run twice."""
    shop = db.session.get(Shop, shop_id)
    sync = shop.sync_state if shop else SyncState()
    if shop is None or not sync.is_running:
        return "skipped"
    node = AdminClient(shop).execute("bulkOperation", POLL_BULK, {"id": sync.operation_id})
    operation = node.get("node") or {}
    status = operation.get("status")
    if status in ("CREATED", "RUNNING"):
        queues.enqueue_in(timedelta(seconds=POLL_SECONDS), poll_catalog_sync, shop_id)
        return "waiting"
    if status != "COMPLETED":
        _set_sync(
            shop, state="failed", error=f"bulk operation {status}: {operation.get('errorCode')}"
        )
        db.session.commit()
        return "failed"
    _set_sync(shop, state="importing", rows_total=int(operation.get("objectCount") or 0))
    _remember_storefront(shop, node.get("shop"))
    db.session.commit()
    if operation.get("url"):  # no url: the shop has no products
        import_file(shop, operation["url"])
    removed = mark_missing_deleted(shop.id, datetime.fromisoformat(str(sync.started_at)))
    _set_sync(shop, state="done", finished_at=utcnow().isoformat(), removed=removed)
    db.session.commit()
    return "done"


def _remember_storefront(shop: Shop, answer: dict[str, Any] | None) -> None:
    url = ((answer or {}).get("primaryDomain") or {}).get("url")
    if url:
        shop.store_connection = replace(shop.store_connection, store_url=str(url).rstrip("/"))


def stream_lines(url: str) -> Iterator[str]:
    """The result file, one line at a time, never held whole in memory."""
    with auth.http_client() as client, client.stream("GET", url) as response:
        if response.status_code != 200:
            raise ShopifyApiError(
                url.split("/")[2], "bulk result download", f"HTTP {response.status_code}"
            )
        yield from response.iter_lines()


def import_file(shop: Shop, url: str) -> None:
    import_lines(shop, stream_lines(url))


def import_lines(shop: Shop, lines: Iterable[str]) -> None:
    """Upsert products and variants batch by batch, committing progress after each batch."""
    cursor = shop.sync_state.cursor or 0
    ref = ShopRef.of(shop)
    groups: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []  # a product, its variants
    held = 0
    position = 0
    for position, raw in enumerate(lines, start=1):
        if position <= cursor or not raw.strip():
            continue
        try:
            node = json.loads(raw)
        except ValueError as exc:
            raise ShopifyApiError(shop.domain, "bulk import", f"line {position}: {exc}") from exc
        held += 1
        if "__parentId" in node:
            if not groups:  # the cursor always sits before a product line
                raise ShopifyApiError(shop.domain, "bulk import", f"line {position}: no product")
            groups[-1][1].append(node)
            continue
        # A product line starts a new group: the previous group is complete and may be stored.
        if held > BATCH_LINES:
            _flush(shop, ref, groups, done=position - 1)
            groups, held = [], 1
        groups.append((node, []))
    _flush(shop, ref, groups, done=position)


def _flush(
    shop: Shop,
    ref: ShopRef,
    groups: list[tuple[dict[str, Any], list[dict[str, Any]]]],
    done: int,
) -> None:
    upsert_products(shop.id, [parse_bulk_product(ref, node, kids) for node, kids in groups])
    _set_sync(shop, cursor=done, rows_done=done)
    db.session.commit()


@queues.job("sync", timeout=600, retry=Retry(max=2, interval=[300, 1800]))
def nightly_catalog_reconcile() -> int:
    """Start a full sync for every active Shopify shop (catches anything webhooks missed)."""
    return for_each_active_shop(start_sync_job, "shopify-sync")


@queues.job("sync", timeout=120, retry=SYNC_RETRY)
def start_sync_job(shop_id: int) -> str:
    shop = db.session.get(Shop, shop_id)
    if shop is None or shop.status != "active":
        return "skipped"
    if shop.sync_state.is_running:
        return "already running"
    start_full_sync(shop, AdminClient(shop))
    db.session.commit()
    return "started"
