"""Which message earned an order, and what each flow is worth against its holdout group.

An order goes to the last message of a run that the customer clicked within the click window
(default 5 days), else the last one they received within the receive window (default 24 h).
That run is marked converted by the order as soon as it is placed (the shopper acted; a
cash-on-delivery order pays weeks later). Held-out runs of the same shopper that were live
when the order came are marked converted too, with no message, so the flow's lift is
conversions of messaged runs against conversions of held-out ones.

Revenue is read from the converting orders whenever it is shown, never copied at conversion:
an order counts once paid, net of its refunds, and not at all once cancelled (``revenue_of``).
A cancelled order is no conversion either (``converted_by_live_order``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.orm import ORMExecuteState, Session

from app.events import types as ev
from app.events.reactions import stored_order
from app.flows.engine import clock
from app.flows.engine.settings import settings_for
from app.flows.engine.stops import RUN_OF_FLOW
from app.flows.registry import flow_for
from app.models import FlowRun, Message, Order, ShopScope, db
from app.models.batch import memo, session_changes
from app.models.flows import ENDS_RUNS

_LONGEST_WINDOW = timedelta(days=30)  # the upper bound of either window setting
# In a batch's memo: (shop id, order id) -> (the order's person and time, when attributed).
_ATTRIBUTED = "orders attributed"


def attribute_order(event: ev.Event) -> None:
    if not isinstance(event, ev.OrderCreated | ev.OrderPaid):
        return
    scope = ShopScope(event.shop_id)
    order = stored_order(event)
    if order is None or order.cancelled:
        return
    if _attributed_in_this_batch(event.shop_id, order):
        return  # created, then paid in one batch: the answer is the one the batch has
    if scope.first(FlowRun, FlowRun.converted_order_id == order.id) is not None:
        _note_attributed(event.shop_id, order)
        return  # the same order delivered twice (or created, then paid) counts once
    message = _earning_message(event.shop_id, order)
    if message is not None:
        run = scope.get(FlowRun, message.run_id, for_update=True)
        if run is not None:
            _convert(run, order)
    for run in _live_holdout_runs(event.shop_id, order):
        _convert(run, order)
    _note_attributed(event.shop_id, order)


def _signature(order: Order) -> tuple[Any, ...]:
    return (order.id, order.customer_id, order.email, order.cart_key, order.placed_at)


def _note_attributed(shop_id: int, order: Order) -> None:
    """In a batch: this order was attributed (to a run, the holdout's, or nothing) as it stands
    now. Until a message or run changes in a way that could alter the answer, asking again (its
    'paid' after its 'created') would read the same rows and change nothing."""
    batch = memo(db.session())
    if batch is not None:
        batch.setdefault(_ATTRIBUTED, {})[(shop_id, order.id)] = (_signature(order), clock.now())


def _attributed_in_this_batch(shop_id: int, order: Order) -> bool:
    batch = memo(db.session())
    if batch is None:
        return False
    noted = batch.get(_ATTRIBUTED, {}).get((shop_id, order.id))
    if noted is None:
        return False
    signature, at = noted
    # A run enrolled since started at the clock's now, after ``at``: it began after an order
    # placed before ``at`` and is no holdout run of it (nor has it a message yet).
    return bool(signature == _signature(order) and order.placed_at < at)


def _forget_attributed(session: Session) -> None:
    batch = memo(session)
    if batch is not None:
        batch.pop(_ATTRIBUTED, None)


@sa_event.listens_for(Session, "before_flush")
def _forget_on_flush(session: Session, *_: Any) -> None:
    # A message written, or a run added, changed or deleted through the session (a restarted
    # run takes the customer's id): what the batch attributed is asked again.
    batch = memo(session)
    if batch is not None and batch.get(_ATTRIBUTED) and session_changes(session, FlowRun, Message):
        _forget_attributed(session)


@sa_event.listens_for(Session, "do_orm_execute")
def _forget_on_statement(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    batch = memo(state.session)
    if batch is None or not batch.get(_ATTRIBUTED):
        return
    touched = {mapper.class_ for mapper in state.all_mappers}
    if Message in touched or (FlowRun in touched and not _harmless_run_write(state)):
        _forget_attributed(state.session)


def _harmless_run_write(state: ORMExecuteState) -> bool:
    """An enrollment's INSERT (its run starts now: see ``_attributed_in_this_batch``), or
    ``cancel_runs``' UPDATE (it only ends active runs, which counted as live already)."""
    options = state.execution_options
    return bool(options.get(ENDS_RUNS) or (state.is_insert and options.get(RUN_OF_FLOW)))


def _person(order: Order) -> list[sa.ColumnElement[bool]]:
    match: list[sa.ColumnElement[bool]] = []
    if order.customer_id:
        match.append(Message.customer_id == order.customer_id)
    if order.email:
        match.append(Message.recipient == order.email)
    return match


def _earning_message(shop_id: int, order: Order) -> Message | None:
    person = _person(order)
    if not person:
        return None
    candidates = ShopScope(shop_id).all(
        Message,
        sa.or_(*person),
        Message.kind == "marketing",  # a shipping notice earns no order
        Message.status == "sent",
        Message.sent_at <= order.placed_at,
        Message.sent_at >= order.placed_at - _LONGEST_WINDOW,
    )
    rows = [(m, _windows(shop_id, m)) for m in candidates]
    clicked = [
        m for m, (click, _) in rows if m.clicked_at and order.placed_at - m.clicked_at <= click
    ]
    if clicked:
        return max(clicked, key=lambda m: _at(m.clicked_at))
    received = [m for m, (_, recv) in rows if order.placed_at - _at(m.sent_at) <= recv]
    return max(received, key=lambda m: _at(m.sent_at)) if received else None


def _at(value: datetime | None) -> datetime:
    assert value is not None
    return value


def _windows(shop_id: int, message: Message) -> tuple[timedelta, timedelta]:
    run = ShopScope(shop_id).get(FlowRun, message.run_id)
    flow = flow_for(run.flow_key) if run is not None else None
    if flow is None:
        return timedelta(0), timedelta(0)
    settings = settings_for(shop_id, flow)
    return (
        timedelta(days=int(settings["attribution_click_days"])),
        timedelta(hours=int(settings["attribution_receive_hours"])),
    )


def _live_holdout_runs(shop_id: int, order: Order) -> list[FlowRun]:
    match: list[sa.ColumnElement[bool]] = []
    if order.customer_id:
        match.append(FlowRun.customer_id == order.customer_id)
    if order.cart_key:
        match.append(FlowRun.subject_key == f"cart:{order.cart_key}")
    if not match:
        return []
    runs = ShopScope(shop_id).all(
        FlowRun,
        sa.or_(*match),
        FlowRun.held_out.is_(True),
        FlowRun.converted_order_id.is_(None),
        FlowRun.started_at <= order.placed_at,
    )
    live = []
    for run in runs:
        flow = flow_for(run.flow_key)
        if flow is None:
            continue
        grace = timedelta(hours=int(settings_for(shop_id, flow)["attribution_receive_hours"]))
        if run.ended_at is None or run.ended_at + grace >= order.placed_at:
            live.append(run)
    return live


def _convert(run: FlowRun, order: Order) -> None:
    run.converted_order_id = order.id
    if run.state == "active":
        run.ended_at, run.end_reason = order.placed_at, "order_placed"
        run.next_step_at = run.lease_until = None
    run.state = "converted"


def revenue_of() -> sa.ColumnElement[Any]:
    """What an order is worth to the merchant: nothing until paid or once cancelled, else its
    total net of refunds (never below zero). A SQL expression, for sums over many runs."""
    net = Order.total - Order.refunded
    return sa.case(
        (sa.or_(Order.paid_at.is_(None), Order.cancelled.is_(True)), 0),
        (net < 0, 0),
        else_=net,
    )


def converted_by_live_order() -> sa.ColumnElement[bool]:
    """The run was converted by an order that was not cancelled (needs ``join_converted``)."""
    return sa.and_(FlowRun.converted_order_id.is_not(None), Order.cancelled.is_(False))


def join_converted(stmt: sa.Select[Any]) -> sa.Select[Any]:
    """Runs with the order that converted them (none for runs still unconverted)."""
    return stmt.outerjoin(
        Order, sa.and_(Order.id == FlowRun.converted_order_id, Order.shop_id == FlowRun.shop_id)
    )


def run_revenue(shop_id: int, run: FlowRun) -> Decimal:
    """One run's revenue, read from its converting order as it stands now."""
    if run.converted_order_id is None:
        return Decimal("0")
    stmt = ShopScope(shop_id).select(Order, Order.id == run.converted_order_id)
    value = db.session.scalar(stmt.with_only_columns(revenue_of()))
    return Decimal(str(value or 0))


def flow_results(shop_id: int, flow_key: str) -> dict[str, Any]:
    """Enrolled, converted and revenue for the messaged runs and for the holdout group."""
    stmt = (
        ShopScope(shop_id)
        .select(FlowRun, FlowRun.flow_key == flow_key)
        .with_only_columns(
            FlowRun.held_out,
            sa.func.count(FlowRun.id),
            sa.func.count(sa.case((converted_by_live_order(), FlowRun.id))),
            sa.func.coalesce(sa.func.sum(revenue_of()), 0),
        )
        .group_by(FlowRun.held_out)
    )
    rows = db.session.execute(join_converted(stmt)).all()
    empty: dict[str, Any] = {"enrolled": 0, "converted": 0, "revenue": 0}
    groups = {"messaged": dict(empty), "held_out": dict(empty)}
    for held_out, enrolled, converted, revenue in rows:
        groups["held_out" if held_out else "messaged"] = {
            "enrolled": enrolled,
            "converted": converted,
            "revenue": Decimal(str(revenue)),
        }
    return groups
