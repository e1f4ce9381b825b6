"""A batch's memo: what one transaction of many deliveries reads again and again.

A worker applies a batch of stored deliveries in one transaction (``app.pipeline.ingest``).
Inside ``batch_memo(session)`` readers may keep what they read in ``memo(session)`` (a dict,
None outside a batch) instead of asking the database again for every event: a shop's flow
settings, for one. A reader that writes what it keeps drops its entry (or updates it). The memo
ends with the block, so nothing read in one batch is trusted in the next.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

_KEY = "storeflow_batch_memo"
_HELD = "held rows"


@contextmanager
def batch_memo(session: Session) -> Iterator[dict[Any, Any]]:
    previous = session.info.get(_KEY)
    session.info[_KEY] = memo_ = {} if previous is None else previous
    try:
        yield memo_
    finally:
        if previous is None:
            session.info.pop(_KEY, None)


def memo(session: Session) -> dict[Any, Any] | None:
    """The open batch's memo, or None when no batch is open (then read the database)."""
    return session.info.get(_KEY)


@event.listens_for(Session, "loaded_as_persistent")
def _hold_for_the_batch(session: Session, instance: object) -> None:
    # The session's identity map holds rows weakly: a customer loaded by one event's upsert is
    # gone by the time its flows ask for it by id. In a batch, every row loaded stays held.
    batch = memo(session)
    if batch is not None:
        batch.setdefault(_HELD, []).append(instance)
