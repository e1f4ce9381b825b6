"""Flows: prebuilt automations that react to canonical events.

``REGISTRY`` maps a flow key to its declaration; each flow module registers itself. The engine
(``engine.py``) is the only place that knows how runs advance.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from app.events import Event

log = logging.getLogger(__name__)

# flow key -> object with ``on_event(event)``; filled by the flow modules (none yet).
REGISTRY: dict[str, Any] = {}
# Extra listeners for events beyond the flows (e.g. attribution); called in order.
LISTENERS: list[Callable[[Event], None]] = []


def dispatch(event: Event) -> None:
    """Let every registered flow enroll, advance or cancel runs for this event."""
    for key, flow in REGISTRY.items():
        log.debug("dispatch", extra={"flow": key, "event": type(event).__name__})
        flow.on_event(event)
    for listener in LISTENERS:
        listener(event)


from app.flows import courier_labels as _courier_labels  # noqa: E402,F401  (registers itself)
