"""Which message earned an order, and what each flow is worth against its holdout group.

An order goes to the last message of a run that the customer clicked within the click window
(default 5 days), else the last one they received within the receive window (default 24 h).
That run is marked converted with the order's value as its revenue. Held-out runs of the same
shopper that were live when the order came are marked converted too, with no message, so the
flow's lift is conversions of messaged runs against conversions of held-out ones.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from app.events import types as ev
from app.flows.engine.settings import settings_for
from app.flows.registry import flow_for
from app.models import FlowRun, Message, Order, ShopScope, db

_LONGEST_WINDOW = timedelta(days=30)  # the upper bound of either window setting


def attribute_order(event: ev.Event) -> None:
    if not isinstance(event, ev.OrderCreated | ev.OrderPaid):
        return
    scope = ShopScope(event.shop_id)
    order = scope.first(Order, Order.platform_order_id == event.order_id)
    if order is None or order.cancelled:
        return
    if scope.first(FlowRun, FlowRun.converted_order_id == order.id) is not None:
        return  # the same order delivered twice (or created, then paid) counts once
    message = _earning_message(event.shop_id, order)
    if message is not None:
        run = scope.get(FlowRun, message.run_id, for_update=True)
        if run is not None:
            _convert(run, order)
    for run in _live_holdout_runs(event.shop_id, order):
        _convert(run, order)


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
    run.revenue = order.total
    if run.state == "active":
        run.ended_at, run.end_reason = order.placed_at, "order_placed"
        run.next_step_at = run.lease_until = None
    run.state = "converted"


def flow_results(shop_id: int, flow_key: str) -> dict[str, Any]:
    """Enrolled, converted and revenue for the messaged runs and for the holdout group."""
    rows = db.session.execute(
        ShopScope(shop_id)
        .select(FlowRun, FlowRun.flow_key == flow_key)
        .with_only_columns(
            FlowRun.held_out,
            sa.func.count(FlowRun.id),
            sa.func.count(FlowRun.converted_order_id),
            sa.func.coalesce(sa.func.sum(FlowRun.revenue), 0),
        )
        .group_by(FlowRun.held_out)
    ).all()
    empty: dict[str, Any] = {"enrolled": 0, "converted": 0, "revenue": 0}
    groups = {"messaged": dict(empty), "held_out": dict(empty)}
    for held_out, enrolled, converted, revenue in rows:
        groups["held_out" if held_out else "messaged"] = {
            "enrolled": enrolled,
            "converted": converted,
            "revenue": revenue,
        }
    return groups
