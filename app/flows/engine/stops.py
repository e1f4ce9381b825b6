"""Stop rules in a batch: an order's 'paid' after its 'created' asks a flow to cancel the runs
its 'created' already cancelled. Inside one batch (``app.models.batch``) a cancellation is
noted by the shop, flow, reason and criteria it ran with; the same cancellation again is
skipped while no run of that flow can have become active since.

What can make a run active, and so forgets the shop's notes for that flow: an enrollment
(``enroll``'s INSERT carries ``RUN_OF_FLOW``); and forgets every note: any other INSERT or
UPDATE of runs through a statement, and any run the session adds, changes or deletes.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from app.models import FlowRun, db
from app.models.batch import memo, session_changes
from app.models.flows import ENDS_RUNS

_CANCELLED = "runs cancelled"  # (shop id, flow key) -> {(reason, criteria key)}
# The execution option of a run's INSERT (an enrollment): (shop id, flow key).
RUN_OF_FLOW = "storeflow_run_of_flow"


def criteria_key(criteria: tuple[sa.ColumnElement[bool], ...]) -> Hashable:
    """The criteria as SQL text and their values: equal keys select the same rows."""
    compiled = sa.and_(*criteria).compile()
    values = tuple(
        sorted(
            (name, tuple(v) if isinstance(v, list) else v) for name, v in compiled.params.items()
        )
    )
    return str(compiled), values


def already_cancelled(shop_id: int, flow_key: str, reason: str, key: Hashable) -> bool:
    batch = memo(db.session())
    if batch is None:
        return False
    return (reason, key) in batch.get(_CANCELLED, {}).get((shop_id, flow_key), ())


def note_cancelled(shop_id: int, flow_key: str, reason: str, key: Hashable) -> None:
    batch = memo(db.session())
    if batch is not None:
        batch.setdefault(_CANCELLED, {}).setdefault((shop_id, flow_key), set()).add((reason, key))


def _forget(session: Session, which: Any = None) -> None:
    batch = memo(session)
    if batch is None or not batch.get(_CANCELLED):
        return
    if which is None:
        batch.pop(_CANCELLED)
    else:
        batch[_CANCELLED].pop(which, None)


@event.listens_for(Session, "before_flush")
def _forget_on_flush(session: Session, *_: Any) -> None:
    batch = memo(session)
    if batch is not None and batch.get(_CANCELLED) and session_changes(session, FlowRun):
        _forget(session)


@event.listens_for(Session, "do_orm_execute")
def _forget_on_statement(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update):
        return
    batch = memo(state.session)
    if batch is None or not batch.get(_CANCELLED):
        return
    if FlowRun not in {mapper.class_ for mapper in state.all_mappers}:
        return
    options = state.execution_options
    if state.is_update and options.get(ENDS_RUNS):
        return  # ends active runs: none becomes active
    if state.is_insert and options.get(RUN_OF_FLOW):
        _forget(state.session, options[RUN_OF_FLOW])
        return
    _forget(state.session)
