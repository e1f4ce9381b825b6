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

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from app.events import types as ev
from app.events.apply import customer_inserted_by_batch, inserted_by_batch
from app.events.reactions import stored_order
from app.flows.engine.settings import settings_for
from app.flows.registry import flow_for
from app.models import Customer, FlowRun, Message, Order, ShopScope, db
from app.models.batch import known, memo, note_known
from app.models.scope import shop_row_ids, shop_rows

_LONGEST_WINDOW = timedelta(days=30)  # the upper bound of either window setting


_CONVERTED_BY = shop_row_ids(FlowRun, FlowRun.converted_order_id == sa.bindparam("order_id"))


def attribute_order(event: ev.Event) -> None:
    if not isinstance(event, ev.OrderCreated | ev.OrderPaid):
        return
    scope = ShopScope(event.shop_id)
    order = stored_order(event)
    if order is None or order.cancelled:
        return
    if _counted(event.shop_id, order):
        return  # the same order delivered twice (or created, then paid) counts once
    message = _earning_message(event.shop_id, order)
    if message is not None:
        run = scope.get(FlowRun, message.run_id, for_update=True)
        if run is not None:
            _convert(run, order)
    for run in _live_holdout_runs(event.shop_id, order):
        _convert(run, order)


def _counted(shop_id: int, order: Order) -> bool:
    """Whether a run is converted by the order already. An order the batch inserted converted
    none before it: only what the batch converted since (noted by ``_convert``)."""
    session = db.session()
    if known(session, _converted_key(shop_id, order.id)):
        return True
    if inserted_by_batch(order):
        return False
    return ShopScope(shop_id).has(_CONVERTED_BY, order_id=order.id)


def _converted_key(shop_id: int, order_id: int) -> tuple[Any, ...]:
    return (FlowRun, shop_id, "converted by", order_id)


# Built once (``shop_rows``): the person is their customer id or their email, either None.
_CANDIDATES = shop_rows(
    Message,
    sa.or_(
        Message.customer_id == sa.bindparam("customer_id"),
        Message.recipient == sa.bindparam("email"),
    ),
    Message.kind == "marketing",  # a shipping notice earns no order
    Message.status == "sent",
    Message.sent_at <= sa.bindparam("placed_at"),
    Message.sent_at >= sa.bindparam("since"),
)


def _earning_message(shop_id: int, order: Order) -> Message | None:
    if not (order.customer_id or order.email):
        return None
    candidates = _candidates_read_ahead(shop_id, order)
    if candidates is None:
        candidates = list(
            ShopScope(shop_id)
            .run(
                _CANDIDATES,
                customer_id=order.customer_id or None,
                email=order.email or None,
                placed_at=order.placed_at,
                since=order.placed_at - _LONGEST_WINDOW,
            )
            .scalars()
        )
    rows = [(m, _windows(shop_id, m)) for m in candidates]
    clicked = [
        m for m, (click, _) in rows if m.clicked_at and order.placed_at - m.clicked_at <= click
    ]
    if clicked:
        return max(clicked, key=lambda m: _at(m.clicked_at))
    received = [m for m, (_, recv) in rows if order.placed_at - _at(m.sent_at) <= recv]
    return max(received, key=lambda m: _at(m.sent_at)) if received else None


@dataclass(frozen=True)
class _Ahead:
    """The marketing messages sent since ``since`` to the batch's order contacts of one shop:
    to these customers (``customers``, as stored when read) or to these addresses."""

    since: datetime
    customers: frozenset[int]
    emails: frozenset[str]
    messages: tuple[Message, ...]


def _ahead_key(shop_id: int) -> tuple[Any, ...]:
    return (Message, shop_id, "earning candidates", None)


# Several shops at once: the customers an order's contact names (by platform id or email).
_CONTACT_CUSTOMERS = sa.select(Customer.shop_id, Customer.id).where(
    sa.or_(
        sa.tuple_(Customer.shop_id, Customer.platform_customer_id).in_(
            sa.bindparam("platform_ids", expanding=True)
        ),
        sa.tuple_(Customer.shop_id, Customer.email).in_(sa.bindparam("emails", expanding=True)),
    )
)
_SENT_TO = sa.select(Message).where(
    Message.shop_id.in_(sa.bindparam("shop_ids", expanding=True)),
    Message.kind == "marketing",
    Message.status == "sent",
    Message.sent_at >= sa.bindparam("since"),
    sa.or_(
        sa.tuple_(Message.shop_id, Message.customer_id).in_(
            sa.bindparam("customers", expanding=True)
        ),
        sa.tuple_(Message.shop_id, Message.recipient).in_(sa.bindparam("emails", expanding=True)),
    ),
)


def read_ahead_earning(events: list[ev.Event]) -> None:
    """In a batch: the messages that may have earned the batch's orders, read at once (two
    statements) instead of once per order. Messages are written by flow steps, never in a
    batch of deliveries; an erasure in the batch forgets what was read."""
    session = db.session()
    orders = [e for e in events if isinstance(e, ev.OrderCreated | ev.OrderPaid)]
    if memo(session) is None or not orders:
        return
    emails = {(e.shop_id, e.customer.email.strip().lower()) for e in orders if e.customer.email}
    platform_ids = {
        (e.shop_id, e.customer.platform_customer_id)
        for e in orders
        if e.customer.platform_customer_id
    }
    params = {"platform_ids": list(platform_ids), "emails": list(emails)}
    customers = [
        (shop_id, customer_id)
        for shop_id, customer_id in (
            session.execute(_CONTACT_CUSTOMERS, params) if platform_ids or emails else ()
        )
    ]
    shop_ids = {e.shop_id for e in orders}
    since = min(e.created_at for e in orders) - _LONGEST_WINDOW
    found: dict[int, list[Message]] = {shop_id: [] for shop_id in shop_ids}
    if customers or emails:
        read: dict[str, Any] = {
            "shop_ids": list(shop_ids),
            "since": since,
            "customers": customers,
            "emails": list(emails),
        }
        for message in session.scalars(_SENT_TO, read):
            found[message.shop_id].append(message)
    for shop_id in shop_ids:
        ahead = _Ahead(
            since,
            frozenset(c for s, c in customers if s == shop_id),
            frozenset(e for s, e in emails if s == shop_id),
            tuple(found[shop_id]),
        )
        note_known(session, _ahead_key(shop_id), ahead)


def _candidates_read_ahead(shop_id: int, order: Order) -> list[Message] | None:
    """``_CANDIDATES`` for the order from what the batch read ahead; None when that does not
    cover the order's customer, email or time (then ask the database). A customer the batch
    inserted has no message: messages are never written in a batch."""
    ahead: _Ahead | None = known(db.session(), _ahead_key(shop_id))
    if ahead is None or order.placed_at - _LONGEST_WINDOW < ahead.since:
        return None
    customer_id, email = order.customer_id or None, order.email or None
    if (
        customer_id is not None
        and customer_id not in ahead.customers
        and not customer_inserted_by_batch(shop_id, customer_id)
    ):
        return None
    if email is not None and email not in ahead.emails:
        return None
    since = order.placed_at - _LONGEST_WINDOW
    return [
        m
        for m in ahead.messages
        if ((customer_id is not None and m.customer_id == customer_id) or m.recipient == email)
        and since <= _at(m.sent_at) <= order.placed_at
    ]


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


# Built once (``shop_rows``): the shopper is their customer id or their cart, either None.
_HOLDOUT_RUNS = shop_rows(
    FlowRun,
    sa.or_(
        FlowRun.customer_id == sa.bindparam("customer_id"),
        FlowRun.subject_key == sa.bindparam("cart_subject"),
    ),
    FlowRun.held_out.is_(True),
    FlowRun.converted_order_id.is_(None),
    FlowRun.started_at <= sa.bindparam("placed_at"),
)


def _live_holdout_runs(shop_id: int, order: Order) -> list[FlowRun]:
    if not (order.customer_id or order.cart_key):
        return []
    runs = (
        ShopScope(shop_id)
        .run(
            _HOLDOUT_RUNS,
            customer_id=order.customer_id or None,
            cart_subject=f"cart:{order.cart_key}" if order.cart_key else None,
            placed_at=order.placed_at,
        )
        .scalars()
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
    note_known(db.session(), _converted_key(order.shop_id, order.id), True)
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
