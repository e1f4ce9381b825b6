"""A Shopify shop's order history: one bulk operation over the orders placed before the shop
connected, its JSONL streamed line by line into the set-based import (``app.events.history``).

Each order line of the file is followed by its line items (``__parentId``); they are put back
into the order as the ``orders`` query returns it and mapped exactly as the reconcile's
backfill maps an order (``reconcile.order_payload``, then the webhook mapping). API 2026-10 runs
up to five bulk query operations per shop at a time (one before 2026-01), so this one starts
beside the catalog's instead of waiting for it. Without the ``read_all_orders`` scope Shopify
returns only the last 60 days of orders: the import takes those and the merchant page says so.

Progress lives in ``shop.history_import``: the line cursor is committed after each chunk of
``CHUNK_ORDERS`` orders, so a failed import is retried (with backoff) from where it stopped.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import UTC, timedelta
from typing import Any

from rq import Retry

from app.connectors.base import ShopRef
from app.connectors.shopify.catalog import POLL_BULK, POLL_SECONDS, RUN_BULK, stream_lines
from app.connectors.shopify.graphql import AdminClient, ShopifyApiError, user_errors
from app.connectors.shopify.mapping import HANDLERS
from app.connectors.shopify.reconcile import LINE_ITEM_FIELDS, ORDER_FIELDS, order_payload
from app.events.history import import_history
from app.logs import fields as log_fields
from app.models import Shop, db, utcnow
from app.models.shop_settings import HistoryImport
from app.pipeline import queues

log = logging.getLogger(__name__)
CHUNK_ORDERS = 2000
HISTORY_RETRY = Retry(max=5, interval=[60, 300, 900, 1800, 3600])
ALL_ORDERS_SCOPE = "read_all_orders"
RECENT_ORDERS_DAYS = 60  # what ``read_orders`` alone reaches

_CONSENT = "marketingState marketingOptInLevel marketingUpdatedAt"
ORDERS_QUERY = """
{
  orders(query: "created_at:<'%(before)s'") {
    edges {
      node {
        %(order)s
        customer {
          id firstName lastName
          defaultEmailAddress { emailAddress %(consent)s }
          defaultPhoneNumber { phoneNumber %(consent)s }
        }
        lineItems { edges { node { id %(line)s } } }
      }
    }
  }
}
"""


def bulk_query(before: str) -> str:
    """The bulk query for the orders placed before ``before`` (ISO, UTC)."""
    return ORDERS_QUERY % {
        "before": before,
        "order": ORDER_FIELDS.strip(),
        "consent": _CONSENT,
        "line": LINE_ITEM_FIELDS,
    }


def _save(shop: Shop, **changes: Any) -> None:
    shop.history_import = replace(shop.history_import, **changes)


def start_history_import(shop: Shop, client: AdminClient) -> None:
    """Ask Shopify for the orders placed before the shop connected; a job polls the result."""
    before = (shop.installed_at or utcnow()).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    data = client.execute("bulkOperationRunQuery", RUN_BULK, {"query": bulk_query(before)})
    payload = user_errors(shop, "bulkOperationRunQuery", data.get("bulkOperationRunQuery"))
    scopes = str(shop.credentials.get("scope") or "").split(",")
    shop.history_import = HistoryImport(
        state="running",
        before=before,
        started_at=utcnow().isoformat(),
        operation_id=payload["bulkOperation"]["id"],
        limited_to_days=None if ALL_ORDERS_SCOPE in scopes else RECENT_ORDERS_DAYS,
    )
    queues.enqueue_after_commit(db.session(), poll_history_import, shop.id)


@queues.job("sync", timeout=120, retry=HISTORY_RETRY)
def start_history_job(shop_id: int) -> str:
    """Start the shop's history import once (after install). Safe to run twice."""
    shop = db.session.get(Shop, shop_id)
    if shop is None or shop.status != "active":
        return "skipped"
    if shop.history_import.state in ("running", "importing", "done"):
        return str(shop.history_import.state)
    start_history_import(shop, AdminClient(shop))
    db.session.commit()
    return "started"


def _poll_again(shop_id: int) -> None:
    queues.enqueue_in(timedelta(seconds=POLL_SECONDS), poll_history_import, shop_id)


@queues.job("sync", timeout=3600, retry=HISTORY_RETRY)
def poll_history_import(shop_id: int) -> str:
    """Check the bulk operation; import its file once complete, resuming from the cursor."""
    shop = db.session.get(Shop, shop_id)
    if shop is None or not shop.history_import.is_running:
        return "skipped"
    progress = shop.history_import
    answer = AdminClient(shop).execute("bulkOperation", POLL_BULK, {"id": progress.operation_id})
    operation = answer.get("node") or {}
    status = operation.get("status")
    if status in ("CREATED", "RUNNING"):
        _poll_again(shop_id)
        return "waiting"
    if status != "COMPLETED":
        _save(shop, state="failed", error=f"bulk operation {status}: {operation.get('errorCode')}")
        db.session.commit()
        return "failed"
    _save(shop, state="importing", total=int(operation.get("rootObjectCount") or 0) or None)
    db.session.commit()
    try:
        if operation.get("url"):  # no url: the shop has no orders before it connected
            import_order_lines(shop, stream_lines(operation["url"]))
    except Exception as exc:
        db.session.rollback()
        if queues.last_attempt():  # no retry follows: the merchant reads "failed"
            _save(shop, state="failed", error=str(exc)[:500])
        else:
            _save(shop, error=str(exc)[:500])
        db.session.commit()
        log.warning("shopify history import interrupted", extra=log_fields(shop=shop_id))
        raise  # retried with backoff; the next run resumes from the cursor
    _save(shop, state="done", finished_at=utcnow().isoformat(), error=None)
    db.session.commit()
    log.info("shopify history imported", extra=log_fields(shop=shop_id, orders=progress.orders))
    return "done"


def _nodes(shop: Shop, lines: Iterable[str], after: int) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, node) of each line past ``after``; a line that is not JSON stops it."""
    for position, raw in enumerate(lines, start=1):
        if position > after and raw.strip():
            try:
                yield position, json.loads(raw)
            except ValueError as exc:
                where = f"line {position}: {exc}"
                raise ShopifyApiError(shop.domain, "history import", where) from exc


def import_order_lines(shop: Shop, lines: Iterable[str]) -> None:
    """Import the file's orders chunk by chunk, committing the cursor after each chunk."""
    ref = ShopRef.of(shop)
    nodes: list[dict[str, Any]] = []
    position = shop.history_import.cursor
    for position, node in _nodes(shop, lines, shop.history_import.cursor):
        if "__parentId" not in node:  # an order line: the previous order is complete
            if len(nodes) >= CHUNK_ORDERS:
                _store(shop, ref, nodes, done=position - 1)
                nodes = []
            nodes.append({**node, "lineItems": {"nodes": []}})
        elif nodes:
            nodes[-1]["lineItems"]["nodes"].append(node)
        else:  # the cursor always sits before an order line
            raise ShopifyApiError(shop.domain, "history import", f"line {position}: no order")
    _store(shop, ref, nodes, done=position)


def _store(shop: Shop, ref: ShopRef, nodes: list[dict[str, Any]], done: int) -> None:
    events = []
    for node in nodes:
        topic, payload = order_payload(node)
        # The order as its body says it is (paid, cancelled or placed): an old order's placing
        # is no news, so orders/create's extra "placed" event would only be built and dropped.
        state = "orders/cancelled" if topic == "orders/cancelled" else "orders/updated"
        events.extend(HANDLERS[state](ref, payload))
    import_history(shop.id, events)
    _save(shop, cursor=done, orders=shop.history_import.orders + len(nodes))
    db.session.commit()
