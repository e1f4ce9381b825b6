"""Connecting a store: the plugin's "Connect" button, WooCommerce's wc-auth, our callback.

1. The plugin POSTs ``{store_url, shared_secret, return_url}`` to ``/connect/woocommerce/start``
   and redirects the admin to the ``authorize_url`` ``start`` answers with.
2. The admin approves; WooCommerce POSTs the new REST keys to our callback with the
   ``user_id`` we chose (a one-time nonce), and deletes the keys unless we answer 200.
3. ``connect`` stores keys and secret encrypted, then (after commit) ``finish_connect``
   creates the webhooks and starts the catalog sync.

The pending secret only replaces the live one when the callback proves the store's admin
approved, so a stranger calling ``start`` cannot take over a connected store's events.
The views in ``app/web/woocommerce_connect.py`` only read the request and answer.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlparse

import sqlalchemy as sa
from flask import current_app
from rq import Retry

from app.connectors.woocommerce.client import check_store_url, is_reachable_store, store_domain
from app.connectors.woocommerce.sync import sync_catalog
from app.connectors.woocommerce.webhooks import ensure_webhooks
from app.logs import fields as log_fields
from app.models import Shop, db, utcnow
from app.pipeline import queues

log = logging.getLogger(__name__)
SECRET_PATTERN = re.compile(r"^[0-9a-f]{64}$")
NONCE_LIFETIME = timedelta(hours=1)


class ConnectError(ValueError):
    """The request cannot start or finish a connection; the message says why."""


def start(store_url: str, secret: str, return_url: str) -> str:
    """Remember the store's proposed secret and a one-time nonce; the wc-auth URL to visit.

    Raises ConnectError (or StoreAddressError) when the request cannot start a connection.
    """
    store_url = check_store_url(store_url)
    if not SECRET_PATTERN.match(secret):
        raise ConnectError("shared_secret must be 32 random bytes as 64 lower-case hex")
    if urlparse(return_url).hostname != urlparse(store_url).hostname:
        raise ConnectError("return_url must be on the store's own host")
    shop = _pending_shop(store_url)
    nonce = secrets.token_urlsafe(24)
    pending = {
        "nonce_sha256": hashlib.sha256(nonce.encode()).hexdigest(),
        "started_at": utcnow().isoformat(),
    }
    shop.store_connection = replace(shop.store_connection, pending=pending)
    shop.credentials = {**shop.credentials, "pending_shared_secret": secret}
    db.session.commit()
    log.info("woocommerce connect started", extra=log_fields(shop=shop.id))
    query = {
        "app_name": "Storeflow",
        "scope": "read_write",
        "user_id": f"{shop.id}.{nonce}",
        "return_url": return_url,
        "callback_url": f"{current_app.config['PUBLIC_URL']}/connect/woocommerce/callback",
    }
    return f"{store_url}/wc-auth/v1/authorize?{urlencode(query)}"


def _pending_shop(store_url: str) -> Shop:
    domain = store_domain(store_url)
    shop = db.session.scalars(
        sa.select(Shop).where(Shop.platform == "woocommerce", Shop.domain == domain)
    ).first()
    if shop is None:
        shop = Shop(platform="woocommerce", domain=domain, name=domain, status="installing")
        db.session.add(shop)
    if shop.status != "active":
        shop.store_connection = replace(shop.store_connection, store_url=store_url)
    db.session.flush()
    return shop


def shop_for_nonce(user_id: str) -> Shop:
    """The store a callback's ``user_id`` (``<shop id>.<nonce>``) names, locked; ConnectError
    unless the nonce is the live one ``start`` issued."""
    shop_id, _, nonce = user_id.partition(".")
    is_id = shop_id.isascii() and shop_id.isdigit() and len(shop_id) <= 9  # fits an INTEGER
    shop = db.session.get(Shop, int(shop_id), with_for_update=True) if is_id else None
    pending = (shop.store_connection.pending or {}) if shop is not None else {}
    digest = hashlib.sha256(nonce.encode()).hexdigest()
    if shop is None or not hmac.compare_digest(digest, pending.get("nonce_sha256", "")):
        raise ConnectError("unknown or already used connect request")
    started = pending.get("started_at", "")
    if not started or utcnow() - datetime.fromisoformat(started) > NONCE_LIFETIME:
        raise ConnectError("connect request expired; press Connect again")
    if not shop.credentials.get("pending_shared_secret"):
        raise ConnectError("connect request has no shared secret")
    return shop


def connect(shop: Shop, credentials: dict[str, Any]) -> None:
    """The REST keys (``consumer_key``, ``consumer_secret``, ``key_id``) the admin approved:
    store them with the pending secret, mark the store active, finish in a job after commit."""
    held = shop.credentials
    shop.credentials = {
        "consumer_key": credentials["consumer_key"],
        "consumer_secret": credentials["consumer_secret"],
        "key_id": credentials.get("key_id"),
        "shared_secret": held["pending_shared_secret"],
        # Deliveries already queued by the store may still carry the old signature.
        "previous_shared_secret": held.get("shared_secret"),
    }
    shop.store_connection = replace(
        shop.store_connection, pending=None, connected_at=utcnow().isoformat()
    )
    shop.status, shop.installed_at, shop.uninstalled_at = "active", utcnow(), None
    queues.enqueue_after_commit(
        db.session(), finish_connect, shop.id, job_id=f"woo-connect-{shop.id}"
    )
    log.info("woocommerce store connected", extra=log_fields(shop=shop.id))


@queues.job("sync", timeout=300, retry=Retry(max=3, interval=[30, 120, 600]))
def finish_connect(shop_id: int) -> dict[str, int]:
    """Subscribe the webhooks (re-signed with the new secret) and start the catalog sync."""
    shop = db.session.get(Shop, shop_id)
    if not is_reachable_store(shop):
        return {}
    counts = ensure_webhooks(shop, reset_secret=True)
    db.session.commit()
    queues.enqueue(sync_catalog, shop_id, job_id=f"woo-sync-{shop_id}")
    return counts
