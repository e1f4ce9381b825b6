"""Fixtures shared by the insights tests."""

from __future__ import annotations

import pytest

from app.events import types as ev
from app.flows import dispatch


@pytest.fixture()
def idle_events(monkeypatch):
    seen: list[ev.CustomerIdle] = []

    def listener(event: ev.Event) -> None:
        if isinstance(event, ev.CustomerIdle):
            seen.append(event)

    monkeypatch.setattr(dispatch, "LISTENERS", (*dispatch.LISTENERS, listener))
    return seen
