"""Every 15 minutes: re-enable webhooks WooCommerce disabled and backfill missed orders.

WooCommerce never re-sends a failed delivery, so an outage on our side (or a webhook the store
disabled after five failures) would lose orders for good. The backfill asks for every order
modified since the newest one we have seen, with a small overlap: applying an order twice
changes nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from rq import Retry

from app import queues
from app.connectors.woocommerce.client import StoreClient, is_reachable_store
from app.connectors.woocommerce.mapping import gmt_time, parse_order_created
from app.connectors.woocommerce.subscriptions import ensure_webhooks
from app.events import apply
from app.models import Shop, db, utcnow

log = logging.getLogger(__name__)
OVERLAP = timedelta(minutes=2)
FIRST_LOOKBACK = timedelta(days=1)


@queues.job("sync", timeout=120, retry=None)
def reconcile_stores() -> int:
    """Fan out one reconcile job per connected store (run by ``rq cron``)."""
    # System-wide by design: the scheduler serves every shop; each job then works on one.
    ids = db.session.scalars(
        sa.select(Shop.id).where(Shop.platform == "woocommerce", Shop.status == "active")
    ).all()
    db.session.commit()
    count = 0
    for shop_id in ids:
        if not queues.job_is_pending(f"woo-reconcile-{shop_id}"):
            queues.enqueue(reconcile_store, shop_id, job_id=f"woo-reconcile-{shop_id}")
            count += 1
    return count


def _cursor(shop: Shop) -> datetime:
    seen = (shop.settings.get("reconcile") or {}).get("orders_modified_gmt")
    return gmt_time(seen) if seen else utcnow() - FIRST_LOOKBACK


@queues.job("sync", timeout=900, retry=Retry(max=3, interval=[60, 300, 900]))
def reconcile_store(shop_id: int) -> dict[str, Any]:
    shop = db.session.get(Shop, shop_id)
    if not is_reachable_store(shop):
        return {"status": "skipped"}
    webhooks = ensure_webhooks(shop)
    db.session.commit()
    newest = _cursor(shop)
    since = (newest - OVERLAP).strftime("%Y-%m-%dT%H:%M:%S")
    backfilled = 0
    pages = StoreClient(shop).pages(
        "orders", modified_after=since, dates_are_gmt="true", orderby="modified", order="asc"
    )
    for page in pages:
        for payload in page:
            for event in parse_order_created(shop.id, payload):
                apply(event)
            newest = max(newest, gmt_time(payload["date_modified_gmt"]))
            backfilled += 1
        # Commit per page with the cursor, so a failure later resumes from here.
        shop.settings = {
            **shop.settings,
            "reconcile": {"orders_modified_gmt": newest.isoformat(), "at": utcnow().isoformat()},
        }
        db.session.commit()
    result = {**webhooks, "orders": backfilled}
    log.info("woocommerce store reconciled", extra={"shop": shop_id, **result})
    return result
