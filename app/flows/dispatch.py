"""How an applied event reaches the flows: listeners first, then the engine.

``create_app`` hands ``dispatch`` to ``app.events.apply`` (events sit below flows, so they are
given the reaction rather than importing it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from app.events.reactions import stored_order
from app.events.types import ORDER_EVENTS, Event
from app.flows.engine import engine
from app.flows.registry import FLOWS
from app.flows.watchers import on_catalog_changed
from app.insights.attribution import attribute_order, read_ahead_earning
from app.logs import fields as log_fields
from app.models import Shop, db
from app.shipping.listener import on_order_event
from app.shipping.privacy import erase_redacted_shipments

log = logging.getLogger(__name__)


def is_history(event: Event) -> bool:
    """History is not news: an order placed before the shop connected to us (a backfill, an
    imported history) is stored for the numbers, but starts no flow, label or attribution."""
    if not isinstance(event, ORDER_EVENTS):
        return False
    shop = db.session.get(Shop, event.shop_id)
    installed = shop.installed_at if shop is not None else None
    if installed is None:
        return False
    # Read from the stored order (applied just before): a refund or fulfilment carries no
    # placing time of its own.
    order = stored_order(event)
    return order is not None and order.placed_at < installed


# What sees each event before the flows do. Attribution comes first: it must see an order
# before a stop rule cancels the run that order converts.
LISTENERS: tuple[Callable[[Event], None], ...] = (
    attribute_order,
    on_order_event,
    erase_redacted_shipments,
    on_catalog_changed,
)


def read_ahead(events: list[Event]) -> None:
    """In a batch: what the listeners and flows will read about these events, read at once
    for all."""
    read_ahead_earning(events)
    for flow in FLOWS:
        if flow.read_ahead is not None:
            flow.read_ahead(events)


def dispatch(event: Event) -> None:
    """Let the listeners, then every flow, react to this event (unless it is history)."""
    if is_history(event):
        log.info("history order stored, not acted on", extra=log_fields(shop=event.shop_id))
        return
    for listener in LISTENERS:
        listener(event)
    log.debug("dispatch", extra=log_fields(event=type(event).__name__, shop=event.shop_id))
    engine.dispatch(event)
