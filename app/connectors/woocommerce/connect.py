"""Connecting a store: the plugin's "Connect" button, WooCommerce's wc-auth, our callback.

1. The plugin POSTs ``{store_url, shared_secret, return_url}`` to ``/connect/woocommerce/start``
   and redirects the admin to the ``authorize_url`` ``start`` answers with.
2. The admin approves; WooCommerce POSTs the new REST keys to our callback with the
   ``user_id`` we chose (a one-time nonce), and deletes the keys unless we answer 200.
3. ``connect`` holds the keys, encrypted, as *pending*; after commit ``finish_connect`` proves
   them against the store's own REST API. Only keys that work there replace the live keys and
   the live secret (and read the store's identity); then the webhooks and the catalog sync.

Nothing about a store changes without proof from that store: a stranger can call ``start``
and even ``callback`` with the nonce ``start`` told them, but keys they made up (or made on
another store) are refused by this store's API, and the shop stays exactly as it was.
The views in ``app/web/woocommerce_connect.py`` only read the request and answer.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlparse

import sqlalchemy as sa
from flask import current_app
from rq import Retry

from app.connectors.woocommerce.client import (
    StoreApiError,
    check_store_url,
    is_reachable_store,
    store_domain,
)
from app.connectors.woocommerce.history import import_order_history
from app.connectors.woocommerce.identity import StoreIdentity, read_identity
from app.connectors.woocommerce.sync import sync_catalog
from app.connectors.woocommerce.webhooks import ensure_webhooks
from app.logs import fields as log_fields
from app.models import AuditLog, Shop, db, utcnow
from app.pipeline import queues

log = logging.getLogger(__name__)
SECRET_PATTERN = re.compile(r"^[0-9a-f]{64}$")
NONCE_LIFETIME = timedelta(hours=1)
# Keys no job could prove within this long are dropped: the merchant presses Connect again.
PENDING_KEYS_LIFETIME = timedelta(hours=24)


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
    """The REST keys (``consumer_key``, ``consumer_secret``, ``key_id``) the callback brought:
    held as pending (the nonce is spent) until ``finish_connect`` proves them on the store.

    The secret proposed with this nonce travels with the keys: a later ``start`` (anyone may
    call it) replaces only the pending secret of a request not yet approved."""
    held = shop.credentials
    pending_keys = {
        "consumer_key": credentials["consumer_key"],
        "consumer_secret": credentials["consumer_secret"],
        "key_id": credentials.get("key_id"),
        "shared_secret": held["pending_shared_secret"],
        # When they came: the 15-minute cron re-finds keys whose proving job was lost.
        "received_at": utcnow().isoformat(),
    }
    rest = {k: v for k, v in held.items() if k != "pending_shared_secret"}
    shop.credentials = {**rest, "pending_keys": pending_keys}
    shop.store_connection = replace(shop.store_connection, pending=None)
    queues.enqueue_after_commit(
        db.session(), finish_connect, shop.id, job_id=f"woo-connect-{shop.id}"
    )
    log.info("woocommerce keys received, to be proven", extra=log_fields(shop=shop.id))


@dataclass(frozen=True)
class _StoreAnswer:
    """What the store said to the pending keys: refused (with its status), or its identity."""

    refused: StoreApiError | None = None
    identity: StoreIdentity = field(default_factory=StoreIdentity)


def _ask_store(shop: Shop, keys: dict[str, str]) -> _StoreAnswer:
    """Try the keys on the store's own REST API (no row lock is held meanwhile). A store that
    does not answer raises, and the job retries."""
    try:
        return _StoreAnswer(identity=read_identity(shop, keys))
    except StoreApiError as exc:
        if exc.status not in (401, 403):
            raise
        return _StoreAnswer(refused=exc)


def _settle(shop: Shop, answer: _StoreAnswer) -> bool:
    """Keys the store accepted replace the live keys and secret, with the store's identity;
    keys it refused are dropped and change nothing else. Runs under the shop's row lock."""
    held = shop.credentials
    if answer.refused is not None:
        # A pending secret still held belongs to a newer start, not to these keys: keep it.
        shop.credentials = {k: v for k, v in held.items() if k != "pending_keys"}
        details = {"status": answer.refused.status, "code": answer.refused.code}
        db.session.add(
            AuditLog(shop_id=shop.id, actor="system", action="connect_refused", details=details)
        )
        log.warning("woocommerce keys refused by the store", extra=log_fields(shop=shop.id))
        return False
    keys = {k: v for k, v in held["pending_keys"].items() if k != "received_at"}
    shop.credentials = {
        # The keys and the secret proposed with their nonce (keys held before this release
        # carry none: theirs is still the pending one).
        "shared_secret": held.get("pending_shared_secret"),
        **keys,
        # Deliveries already queued by the store may still carry the old signature.
        "previous_shared_secret": held.get("shared_secret"),
    }
    answer.identity.apply_to(shop)
    shop.store_connection = replace(shop.store_connection, connected_at=utcnow().isoformat())
    if shop.status != "active" or shop.installed_at is None:
        # Orders before this moment are history; new keys for a live store change nothing.
        shop.installed_at = utcnow()
    shop.status, shop.uninstalled_at = "active", None
    log.info("woocommerce store connected", extra=log_fields(shop=shop.id))
    return True


def pending_keys_due(shop: Shop) -> bool:
    """Whether the shop holds keys still to be proven (a lost or failed ``finish_connect``);
    keys older than a day are dropped instead (audited), and the merchant connects again."""
    pending = shop.credentials.get("pending_keys")
    if not pending:
        return False
    received = pending.get("received_at")
    if received and utcnow() - datetime.fromisoformat(received) <= PENDING_KEYS_LIFETIME:
        return True
    held = shop.credentials
    shop.credentials = {
        k: v for k, v in held.items() if k not in ("pending_keys", "pending_shared_secret")
    }
    db.session.add(AuditLog(shop_id=shop.id, actor="system", action="connect_expired", details={}))
    log.warning("woocommerce keys never proven; dropped", extra=log_fields(shop=shop.id))
    return False


@queues.job("sync", timeout=300, retry=Retry(max=3, interval=[30, 120, 600]))
def finish_connect(shop_id: int) -> dict[str, int]:
    """Prove the keys a callback brought, then subscribe the webhooks (signed with the new
    secret) and start the catalog sync and the order history import. Safe to run again: it
    only re-checks the webhooks."""
    shop = db.session.get(Shop, shop_id)
    pending = shop.credentials.get("pending_keys") if shop is not None else None
    if shop is not None and pending is not None:
        answer = _ask_store(shop, pending)
        db.session.rollback()
        shop = db.session.get(Shop, shop_id, with_for_update=True, populate_existing=True)
        if shop is None or shop.credentials.get("pending_keys") != pending:
            db.session.commit()  # a newer callback, or another run, settles it
            return {}
        proven = _settle(shop, answer)
        db.session.commit()
        if not proven:
            return {"refused": 1}
    if not is_reachable_store(shop):
        return {}
    counts = ensure_webhooks(shop, reset_secret=True)
    db.session.commit()
    queues.enqueue(sync_catalog, shop_id, job_id=f"woo-sync-{shop_id}")
    # The orders placed before the connect are history: imported once, in the background.
    queues.enqueue(import_order_history, shop_id, job_id=f"woo-history-{shop_id}")
    return counts
