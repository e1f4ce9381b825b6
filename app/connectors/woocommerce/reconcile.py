"""Every 15 minutes: re-enable webhooks WooCommerce disabled and backfill missed orders;
once a day, a full catalog sync and a fresh read of the store's identity (name, address,
currency, timezone, language).

WooCommerce never re-sends a failed delivery, so an outage on our side (or a webhook the store
disabled after five failures) would lose orders for good. The backfill asks for every order
modified since the newest one we have seen, with a small overlap: applying an order twice
changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import requests
import sqlalchemy as sa
from rq import Retry

from app.connectors.base import ShopRef
from app.connectors.fields import gmt_time
from app.connectors.woocommerce.client import StoreApiError, StoreClient, is_reachable_store
from app.connectors.woocommerce.connect import finish_connect, pending_keys_due
from app.connectors.woocommerce.disconnect import revoke_store_access
from app.connectors.woocommerce.identity import read_identity
from app.connectors.woocommerce.mapping import parse_order_created
from app.connectors.woocommerce.sync import sync_catalog
from app.connectors.woocommerce.webhooks import ensure_webhooks
from app.events.apply import apply
from app.logs import fields as log_fields
from app.models import Shop, db, utcnow
from app.pipeline import queues

log = logging.getLogger(__name__)
OVERLAP = timedelta(minutes=2)
FIRST_LOOKBACK = timedelta(days=1)
CATALOG_REFRESH = timedelta(hours=24)
IDENTITY_REFRESH = timedelta(hours=24)


@queues.job("sync", timeout=120, retry=None)
def reconcile_stores() -> dict[str, int]:
    """Fan out per connected store (run by ``rq cron``): a reconcile every time, and a
    catalog sync when the last one is a day old or stopped half-way (it then resumes). A store
    that disconnected and whose keys we still hold (its revoke job was lost) is revoked; keys a
    connect brought but no job proved yet (lost, or the store was down) are tried again."""
    # System-wide by design: the scheduler serves every shop; each job then works on one.
    shops = db.session.scalars(
        sa.select(Shop).where(
            Shop.platform == "woocommerce",
            Shop.status.in_(("installing", "active", "uninstalled")),
        )
    ).all()
    due = [(shop.id, _catalog_due(shop)) for shop in shops if is_reachable_store(shop)]
    held = [shop.id for shop in shops if shop.status == "uninstalled" and shop.credentials]
    unproven = [
        shop.id for shop in shops if shop.status != "uninstalled" and pending_keys_due(shop)
    ]
    db.session.commit()
    counts = {"reconciles": 0, "syncs": 0, "revokes": 0, "connects": 0}
    for shop_id in unproven:
        counts["connects"] += _enqueue_once(finish_connect, shop_id, "woo-connect")
    for shop_id, catalog_due in due:
        counts["reconciles"] += _enqueue_once(reconcile_store, shop_id, "woo-reconcile")
        if catalog_due:
            counts["syncs"] += _enqueue_once(sync_catalog, shop_id, "woo-sync")
    for shop_id in held:
        counts["revokes"] += _enqueue_once(revoke_store_access, shop_id, "woo-revoke")
    return counts


def _catalog_due(shop: Shop) -> bool:
    progress = shop.sync_state
    if progress.status != "done":
        return True  # never synced, or interrupted: the sync resumes from its progress
    finished = progress.finished_at
    return not finished or utcnow() - datetime.fromisoformat(finished) > CATALOG_REFRESH


def _enqueue_once(job: Any, shop_id: int, prefix: str) -> int:
    job_id = f"{prefix}-{shop_id}"
    if queues.job_is_pending(job_id):
        return 0
    queues.enqueue(job, shop_id, job_id=job_id)
    return 1


def _refresh_identity(shop: Shop) -> None:
    """Once a day, what the store says about itself replaces what we hold (an address the
    merchant typed on our page stays). A store that does not answer keeps what we have."""
    last = shop.reconcile_state.identity_at
    if last and utcnow() - datetime.fromisoformat(last) < IDENTITY_REFRESH:
        return
    try:
        identity = read_identity(shop)
    except (StoreApiError, requests.RequestException, ValueError):
        log.warning("store identity not readable", extra=log_fields(shop=shop.id))
        return
    identity.apply_to(shop)
    shop.reconcile_state = replace(shop.reconcile_state, identity_at=utcnow().isoformat())
    db.session.commit()


def _cursor(shop: Shop) -> datetime:
    seen = shop.reconcile_state.orders_modified_gmt
    return gmt_time(seen) if seen else utcnow() - FIRST_LOOKBACK


@queues.job("sync", timeout=900, retry=Retry(max=3, interval=[60, 300, 900]))
def reconcile_store(shop_id: int) -> dict[str, Any]:
    shop = db.session.get(Shop, shop_id)
    if not is_reachable_store(shop):
        return {"status": "skipped"}
    try:
        return _reconcile(shop)
    except StoreApiError as exc:
        if exc.status not in (401, 403):
            raise
        # The store no longer honours our keys: the plugin revokes them on Disconnect before
        # its signed store.disconnected reaches us (retried by Action Scheduler while we are
        # down), or the merchant revoked them by hand. Retrying within minutes cannot help; the
        # next reconcile asks again and the disconnect, once it arrives, ends the shop's use.
        db.session.rollback()
        log.warning(
            "woocommerce store refused our keys",
            extra=log_fields(shop=shop_id, status=exc.status, code=exc.code),
        )
        return {"status": "refused", "store_answered": exc.status}


def _reconcile(shop: Shop) -> dict[str, Any]:
    shop_id = shop.id
    webhooks = ensure_webhooks(shop)
    db.session.commit()
    _refresh_identity(shop)
    newest = _cursor(shop)
    since = (newest - OVERLAP).strftime("%Y-%m-%dT%H:%M:%S")
    backfilled = 0
    ref = ShopRef.of(shop)
    pages = StoreClient(shop).pages(
        "orders", modified_after=since, dates_are_gmt="true", orderby="modified", order="asc"
    )
    for page in pages:
        for payload in page:
            for event in parse_order_created(ref, payload):
                apply(event)
            newest = max(newest, gmt_time(payload["date_modified_gmt"]))
            backfilled += 1
        # Commit per page with the cursor, so a failure later resumes from here.
        shop.reconcile_state = replace(
            shop.reconcile_state, orders_modified_gmt=newest.isoformat(), at=utcnow().isoformat()
        )
        db.session.commit()
    result = {**webhooks, "orders": backfilled}
    log.info("woocommerce store reconciled", extra=log_fields({"shop": shop_id, **result}))
    return result
