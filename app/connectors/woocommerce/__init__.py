"""The WooCommerce platform: REST webhooks, the Storeflow plugin's signed events, REST calls.

Which module does what: ``webhooks`` (reading and verifying deliveries, creating the REST
webhooks), ``mapping`` and ``plugin_events`` (pure payload mapping), ``connect`` (wc-auth
connect), ``identity`` (the store's name, address, currency, timezone, language), ``sync`` and
``catalog`` (full catalog sync), ``reconcile`` (re-enabled webhooks, backfilled orders, the
identity re-read), ``disconnect`` (our webhooks deleted, keys forgotten), ``actions`` (coupons,
tracking, order checks), ``tokens`` and ``signing`` (restore links and admin sign-in shared
with the plugin), ``client`` (REST client).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.connectors.base import Platform, ShopRef
from app.connectors.fields import map_payload
from app.connectors.woocommerce import actions, connect, tokens, webhooks
from app.connectors.woocommerce.disconnect import revoke_store_access
from app.connectors.woocommerce.mapping import HANDLERS
from app.connectors.woocommerce.reconcile import reconcile_store
from app.connectors.woocommerce.sync import sync_catalog
from app.events.types import Event
from app.models import Shop, db
from app.pipeline import queues


class WooCommerce:
    name = "woocommerce"
    topics = frozenset(HANDLERS)

    read_envelope = staticmethod(webhooks.read_envelope)
    verify = staticmethod(webhooks.verify)

    def normalize(
        self, shop: ShopRef, topic: str, payload: Any, headers: Mapping[str, str]
    ) -> list[Event]:
        return map_payload(HANDLERS, shop, topic, payload)

    connect = staticmethod(connect.connect)

    def ensure_webhooks(self, shop: Shop) -> int:
        counts = webhooks.ensure_webhooks(shop)
        return counts["created"] + counts["reenabled"]

    def sync_catalog(self, shop: Shop) -> None:
        queues.enqueue_after_commit(
            db.session(), sync_catalog, shop.id, job_id=f"woo-sync-{shop.id}"
        )

    def reconcile(self, shop: Shop) -> None:
        queues.enqueue_after_commit(
            db.session(), reconcile_store, shop.id, job_id=f"woo-reconcile-{shop.id}"
        )

    def disconnect(self, shop: Shop) -> None:
        # The keys are kept until the job has deleted our webhooks in the store.
        queues.enqueue_after_commit(
            db.session(), revoke_store_access, shop.id, job_id=f"woo-revoke-{shop.id}"
        )

    # Shop actions: plain functions of the package's modules (see base.Platform for each).
    create_discount = staticmethod(actions.create_discount)
    push_tracking = staticmethod(actions.push_tracking)
    orders_since = staticmethod(actions.orders_since)
    restore_target = staticmethod(tokens.restore_target)


PLATFORM: Platform = WooCommerce()
