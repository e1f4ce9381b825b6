"""Who reacts to an event once it is stored: the flows (``app.flows.dispatch.dispatch``), wired
in by ``create_app``. Events sit below flows (flows read events, never the other way round), so
the reaction is handed in rather than imported. Both ``apply`` and the catalog writer (whose
bulk syncs bypass ``apply``) hand their events on through here.
"""

from __future__ import annotations

from collections.abc import Callable

from app.events.types import Event

_REACTORS: list[Callable[[Event], None]] = []


def react_with(reactor: Callable[[Event], None]) -> None:
    """Have ``reactor`` see every applied event (once, however often this is called)."""
    if reactor not in _REACTORS:
        _REACTORS.append(reactor)


def require_reactor() -> None:
    if not _REACTORS:
        # An event stored with nobody reacting would silently start no flow: refuse instead.
        raise RuntimeError("no reactor wired for events: build the app with create_app()")


def react(event: Event) -> None:
    """Let every reactor see the event (inside the caller's transaction)."""
    require_reactor()
    for reactor in _REACTORS:
        reactor(event)
