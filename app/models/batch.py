"""A batch's memo: what one transaction of many deliveries reads again and again.

A worker applies a batch of stored deliveries in one transaction (``app.pipeline.ingest``).
Inside ``batch_memo(session)`` readers may keep what they read in ``memo(session)`` (a dict,
None outside a batch) instead of asking the database again for every event: a shop's flow
settings, for one. A reader that writes what it keeps drops its entry (or updates it). The memo
ends with the block, so nothing read in one batch is trusted in the next.

Rows the batch's transaction has locked (or inserted) are kept by their shop and unique key
(``keep_locked``), so the next event of the same cart, order or customer finds its row without
a query (``locked_row``): locked, nobody else can change or delete it before the commit. A bulk
UPDATE or DELETE of such rows that the session does not follow (an erasure) forgets them all.
What the transaction wrote wholesale (an order's lines) is noted the same way (``written``),
so writing the same again can be skipped; and what the batch read ahead for all its events at
once (``known``), so that no event asks the database for it again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import ORMExecuteState, Session

_KEY = "storeflow_batch_memo"
_HELD = "held rows"
_LOCKED = "locked rows"  # (model, shop id, unique column, value) -> the row
_WRITTEN = "written rows"  # (model, shop id, what, id) -> what this transaction wrote there
_KNOWN = "known rows"  # (model, shop id, what, key) -> what the batch read ahead of its events
_STORES = (_LOCKED, _WRITTEN, _KNOWN)  # what a bulk change of their model makes untrue


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


def keep_locked(session: Session, row: Any, *columns: str) -> None:
    """In a batch: ``row``, which this transaction locked or inserted, is found again by its
    shop and any of these unique columns (``locked_row``). Outside a batch: nothing."""
    batch = memo(session)
    if batch is None:
        return
    locked = batch.setdefault(_LOCKED, {})
    for column in columns:
        value = getattr(row, column)
        if value is not None:
            locked[(type(row), row.shop_id, column, value)] = row


def locked_row(session: Session, model: type[Any], shop_id: int, column: str, value: Any) -> Any:
    """The shop's row whose unique ``column`` holds ``value``, if this batch's transaction
    holds it locked (and it still holds that value, and was not deleted); else None."""
    batch = memo(session)
    if batch is None or value is None:
        return None
    row = batch.get(_LOCKED, {}).get((model, shop_id, column, value))
    if row is None:
        return None
    state = inspect(row)
    if state.was_deleted or state.detached or getattr(row, column) != value:
        return None
    return row


@event.listens_for(Session, "do_orm_execute")
def _forget_locked_on_bulk_change(state: ORMExecuteState) -> None:
    # A bulk DELETE of kept rows, or an UPDATE the session does not apply to the rows it holds
    # (an erasure's), may leave a kept row gone or holding another key: forget them all.
    if not (state.is_update or state.is_delete):
        return
    batch = memo(state.session)
    if batch is None or not batch.get(_LOCKED):
        return
    unfollowed = state.execution_options.get("synchronize_session", "auto") is False
    if not (state.is_delete or unfollowed):
        return
    touched = {mapper.class_ for mapper in state.all_mappers}
    for store in _STORES:
        if touched & {key[0] for key in batch.get(store, {})}:
            batch.pop(store)


def forget_locked(session: Session) -> None:
    """Forget every kept row, what was written and what is known (an erasure went through the
    batch)."""
    batch = memo(session)
    if batch is not None:
        for store in _STORES:
            batch.pop(store, None)


def note_written(session: Session, key: tuple[Any, ...], value: Any) -> None:
    """In a batch: this transaction wrote ``value`` where ``key`` (model, shop id, what, id)
    says; ``written`` gives it back until a bulk delete of that model forgets it."""
    batch = memo(session)
    if batch is not None:
        batch.setdefault(_WRITTEN, {})[key] = value


def written(session: Session, key: tuple[Any, ...]) -> Any:
    """What this batch's transaction wrote where ``key`` says (``note_written``), or None."""
    batch = memo(session)
    return batch.get(_WRITTEN, {}).get(key) if batch is not None else None


def note_known(session: Session, key: tuple[Any, ...], value: Any) -> None:
    """In a batch: ``value`` (never None) is what the database holds where ``key`` (model, shop
    id, what, key) says, read ahead for the batch's events; ``known`` gives it back until a
    bulk change of that model forgets it. Whoever writes there in the batch notes it anew (or
    forgets it: ``forget_known``)."""
    batch = memo(session)
    if batch is not None:
        batch.setdefault(_KNOWN, {})[key] = value


def known(session: Session, key: tuple[Any, ...]) -> Any:
    """What the batch knows of the database where ``key`` says (``note_known``), or None:
    then ask the database."""
    batch = memo(session)
    return batch.get(_KNOWN, {}).get(key) if batch is not None else None


def forget_known(session: Session, key: tuple[Any, ...]) -> None:
    batch = memo(session)
    if batch is not None:
        batch.get(_KNOWN, {}).pop(key, None)
