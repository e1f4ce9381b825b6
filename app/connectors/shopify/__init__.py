"""The Shopify platform: a 2026 public app on the GraphQL Admin API.

Which library does what:
- ``shopifyapp`` (Shopify's current Python package): webhook HMAC verification (with the
  previous secret during a rotation), app-home ID-token verification and the CSP header,
  token exchange for expiring offline tokens, token refresh, and the Admin GraphQL request
  itself (with its 429/5xx retries). Its HTTP goes through ``auth.http_client()``.
- ``ShopifyAPI`` 12.x is not used: it has no token exchange, refresh, webhook verification or
  throttle handling, and new public apps may not use its REST resources.
- Our own code: the authorization-code grant (no helper in either package), cost-based
  ``THROTTLED`` waits and the single refresh-on-401 (``graphql.py``), pure payload mapping
  (``mapping.py``, ``customers.py``), bulk catalog sync (``catalog.py``), webhooks and their
  subscriptions (``webhooks.py``), the daily reconcile and backfill (``reconcile.py``),
  discounts, tracking and restore links (``actions.py``), install (``install.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.connectors.base import Platform, ShopRef
from app.connectors.fields import map_payload
from app.connectors.shopify import actions, install, webhooks
from app.connectors.shopify.catalog import start_sync_job
from app.connectors.shopify.graphql import AdminClient
from app.connectors.shopify.mapping import HANDLERS
from app.connectors.shopify.reconcile import reconcile_shop
from app.events.types import Event
from app.models import Shop, db
from app.pipeline import queues


class Shopify:
    name = "shopify"
    topics = frozenset(HANDLERS)

    read_envelope = staticmethod(webhooks.read_envelope)

    def verify(self, shop: Shop | None, headers: Mapping[str, str], body: bytes) -> None:
        webhooks.verify(headers, body)  # the app's secret signs every shop's deliveries

    def normalize(
        self, shop: ShopRef, topic: str, payload: Any, headers: Mapping[str, str]
    ) -> list[Event]:
        return map_payload(HANDLERS, shop, topic, payload)

    connect = staticmethod(install.connect)

    def ensure_webhooks(self, shop: Shop) -> int:
        return len(webhooks.ensure_webhooks(shop, AdminClient(shop)))

    def sync_catalog(self, shop: Shop) -> None:
        queues.enqueue_after_commit(
            db.session(), start_sync_job, shop.id, job_id=f"shopify-sync-{shop.id}"
        )

    def reconcile(self, shop: Shop) -> None:
        queues.enqueue_after_commit(
            db.session(), reconcile_shop, shop.id, job_id=f"shopify-reconcile-{shop.id}"
        )

    def disconnect(self, shop: Shop) -> None:
        # Shopify revokes the token itself on uninstall and removes the app's subscriptions.
        shop.credentials = {}

    # Shop actions: plain functions of the package's modules (see base.Platform for each).
    create_discount = staticmethod(actions.create_discount)
    push_tracking = staticmethod(actions.push_tracking)
    orders_since = staticmethod(actions.orders_since)
    restore_target = staticmethod(actions.restore_target)


PLATFORM: Platform = Shopify()
