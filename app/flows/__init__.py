"""Flows: prebuilt automations that react to canonical events.

``REGISTRY`` maps a flow key to its declaration (``definition.Flow``); each flow module
registers itself. The engine (``engine.py``) is the only place that knows how runs advance.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from app.events.types import Event
from app.logs import fields as log_fields

if TYPE_CHECKING:
    from app.flows.engine.definition import Flow

log = logging.getLogger(__name__)

# flow key -> declaration; filled by the flow modules imported at the bottom.
REGISTRY: dict[str, Flow] = {}
# Listeners that see each event before the flows do (attribution must see an order before a
# stop rule cancels the run it converts).
LISTENERS: list[Callable[[Event], None]] = []


def register(flow: Flow) -> Flow:
    REGISTRY[flow.key] = flow
    return flow


def dispatch(event: Event) -> None:
    """Let listeners, then every registered flow, react to this event."""
    from app.flows.engine import engine

    for listener in LISTENERS:
        listener(event)
    log.debug("dispatch", extra=log_fields(event=type(event).__name__, shop=event.shop_id))
    engine.dispatch(event)


# The flow modules register themselves (flows in REGISTRY, courier labels in LISTENERS).
from app.flows import abandoned_cart, cross_sell, reactivation, shipping_notice  # noqa: E402
from app.insights import attribution  # noqa: E402
from app.shipping import listener as courier_labels  # noqa: E402

__all__ = [
    "LISTENERS",
    "REGISTRY",
    "abandoned_cart",
    "attribution",
    "courier_labels",
    "cross_sell",
    "dispatch",
    "reactivation",
    "register",
    "shipping_notice",
]
