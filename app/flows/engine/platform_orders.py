"""The platform's word on "has the shopper bought since", asked only when ours may be stale.

Our orders come from webhooks, and webhooks get lost; the periodic reconcile backfills what
was missed, but only up to when it ran. A cart last touched before the shop's last successful
reconcile has lived through at least one window where a lost webhook would go unnoticed, so
for such carts (and only those: platforms rate-limit) the shop's own API is asked too.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from app import connectors
from app.flows.engine.definition import Verdict
from app.logs import fields as log_fields
from app.models import FlowRun, Shop

log = logging.getLogger(__name__)
# A failed question is asked again this much later; the step is never sent blindly meanwhile.
RETRY_AFTER = timedelta(minutes=15)


def last_reconciled(shop: Shop) -> datetime | None:
    """When the shop's reconcile last finished a pass (both connectors record ``at``)."""
    at = shop.reconcile_state.at
    return datetime.fromisoformat(at) if at else None


def is_stale(shop: Shop, run: FlowRun) -> bool:
    reconciled = last_reconciled(shop)
    anchor = run.context.get("anchor")
    if not run.context.get("cart_key") or reconciled is None or not anchor:
        return False
    return datetime.fromisoformat(anchor) < reconciled


def verdict(shop: Shop, run: FlowRun, since: datetime, now: datetime) -> Verdict | None:
    """Stop when the platform reports an order, defer when it could not be asked."""
    if not is_stale(shop, run):
        return None
    platform = connectors.get(shop.platform)
    if platform is None:
        return None
    try:
        bought = platform.orders_since(
            shop,
            email=run.context.get("email"),
            cart_key=run.context.get("cart_key"),
            since=since,
        )
    except Exception:  # any failure (HTTP, auth, bad answer) means "cannot tell yet"
        log.warning(
            "platform order check failed; step deferred",
            extra=log_fields(shop=shop.id, run=run.id),
            exc_info=True,
        )
        return Verdict(defer_until=now + RETRY_AFTER, reason="platform_unreachable")
    return Verdict(stop="order_placed") if bought else None
