"""A WooCommerce store's order history: every order placed before the store connected, page by
page over REST (``GET /wc/v3/orders``, 100 a page, oldest first), into the set-based import
(``app.events.history``).

The connect moment (``shop.installed_at``, set when the store's keys are proven) splits history
from news: webhooks bring what comes after it, this brings what came before, and nothing here
starts a flow. Each page is mapped by the webhook mapping (``parse_order_updated``: an order
body is the same in both) and committed with the page number, so a failed page is retried
with backoff (the job's ``Retry``) and the import resumes after the last page it stored.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC
from typing import Any

from rq import Retry

from app.connectors.base import ShopRef
from app.connectors.woocommerce.client import PER_PAGE, StoreClient, is_reachable_store
from app.connectors.woocommerce.mapping import parse_order_updated
from app.events.history import import_history
from app.logs import fields as log_fields
from app.models import Shop, db, utcnow
from app.models.shop_settings import HistoryImport
from app.pipeline import queues

log = logging.getLogger(__name__)
# Orders that were placed (cancelled and failed ones teach nothing; refunded ones are stored
# as cancelled, so a refund never counts as a purchase).
HISTORY_STATUSES = "processing,completed,on-hold,refunded"


def _save(shop: Shop, progress: HistoryImport) -> None:
    shop.history_import = progress
    db.session.commit()


def _page(client: StoreClient, progress: HistoryImport, page: int) -> tuple[list[Any], Any]:
    rows, headers = client.call_with_headers(
        "GET",
        "orders",
        page=page,
        per_page=PER_PAGE,
        status=HISTORY_STATUSES,
        before=progress.before,
        dates_are_gmt="true",
        orderby="date",
        order="asc",
    )
    return rows, headers


def _started(shop: Shop) -> HistoryImport:
    progress = shop.history_import
    if progress.state in ("running", "failed"):
        # Resume after the last page stored (a failed import, started again by support).
        return replace(progress, state="running", error=None)
    before = (shop.installed_at or utcnow()).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return HistoryImport(state="running", before=before, started_at=utcnow().isoformat())


@queues.job("sync", timeout=3600, retry=Retry(max=5, interval=[60, 300, 900, 1800, 3600]))
def import_order_history(shop_id: int) -> dict[str, Any]:
    """Import the store's orders placed before it connected, once. Safe to run again: a done
    import is left alone, an interrupted one resumes after its last stored page."""
    shop = db.session.get(Shop, shop_id)
    if not is_reachable_store(shop) or shop.history_import.state == "done":
        return {"status": "skipped"}
    progress = _started(shop)
    _save(shop, progress)
    client, ref = StoreClient(shop), ShopRef.of(shop)
    page = progress.cursor + 1
    try:
        while True:
            rows, headers = _page(client, progress, page)
            events = [event for row in rows for event in parse_order_updated(ref, row)]
            import_history(shop.id, events)
            total = int(headers.get("X-WP-Total") or 0) or None
            progress = replace(
                progress, cursor=page, orders=progress.orders + len(rows), total=total, error=None
            )
            _save(shop, progress)
            if page >= int(headers.get("X-WP-TotalPages") or 1) or not rows:
                break
            page += 1
    except Exception as exc:
        db.session.rollback()
        # The merchant reads "failed" only once no retry follows; until then "trying again".
        state = "failed" if queues.last_attempt() else progress.state
        _save(shop, replace(progress, state=state, error=str(exc)[:500]))
        log.warning("woocommerce history page failed", extra=log_fields(shop=shop_id, page=page))
        raise  # retried with backoff; the next run resumes at this page
    _save(shop, replace(progress, state="done", finished_at=utcnow().isoformat()))
    log.info("woocommerce history imported", extra=log_fields(shop=shop_id, orders=progress.orders))
    return {"status": "done", "orders": progress.orders}
