"""Who reacts to an event once it is stored: the flows (``app.flows.dispatch.dispatch``), wired
in by ``create_app``. Events sit below flows (flows read events, never the other way round), so
the reaction is handed in rather than imported. Both ``apply`` and the catalog writer (whose
bulk syncs bypass ``apply``) hand their events on through here.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from contextvars import ContextVar
from typing import Any, TypeVar

from app.events import types as ev
from app.events.types import Event
from app.models import Order, ShopScope

T = TypeVar("T")
_REACTORS: list[Callable[[Event], None]] = []
_READERS: list[Callable[[list[Event]], None]] = []
# While the reactors see one event: what they read of the stored rows, read once for all.
_SEEN: ContextVar[dict[Hashable, Any] | None] = ContextVar("storeflow_event_memo", default=None)


def react_with(
    reactor: Callable[[Event], None], read_ahead: Callable[[list[Event]], None] | None = None
) -> None:
    """Have ``reactor`` see every applied event (once, however often this is called);
    ``read_ahead``: what it will read about a batch's events, read at once for all of them."""
    if reactor not in _REACTORS:
        _REACTORS.append(reactor)
    if read_ahead is not None and read_ahead not in _READERS:
        _READERS.append(read_ahead)


def read_ahead_of_reactions(events: list[Event]) -> None:
    """Let every reactor read at once what it will ask about these events (a batch's)."""
    for reader in _READERS:
        reader(events)


def require_reactor() -> None:
    if not _REACTORS:
        # An event stored with nobody reacting would silently start no flow: refuse instead.
        raise RuntimeError("no reactor wired for events: build the app with create_app()")


def react(event: Event) -> None:
    """Let every reactor see the event (inside the caller's transaction)."""
    require_reactor()
    token = _SEEN.set({})
    try:
        for reactor in _REACTORS:
            reactor(event)
    finally:
        _SEEN.reset(token)


def once_per_event(key: Hashable, read: Callable[[], T]) -> T:
    """``read()``, run once per ``key`` while the reactors see one event (the attribution, the
    shipping listener and every flow's stop rule ask for the same stored order). For rows the
    event's own reactions do not change; outside ``react`` it simply reads."""
    seen = _SEEN.get()
    if seen is None:
        return read()
    if key not in seen:
        seen[key] = read()
    return seen[key]


def stored_order(event: Event) -> Order | None:
    """The stored order an order event names (its reactions run after it was applied)."""
    assert isinstance(event, ev.ORDER_EVENTS)
    shop_id, order_id = event.shop_id, event.order_id
    return once_per_event(
        ("order", shop_id, order_id),
        lambda: ShopScope(shop_id).by_key(Order, "platform_order_id", order_id),
    )
