"""Stop rules shared by the flows whose subject is a customer rather than a cart
(cross-sell, reactivation): their runs carry ``customer_id``, so they are matched by it.

The send-time guards re-check all of this anyway; these rules only make a run stop as soon as
the event arrives instead of at its next step.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from app.events import types as ev
from app.events.reactions import once_per_event, stored_order
from app.flows.engine.definition import StopRule
from app.models import Customer, FlowRun, Order, ShopScope
from app.models.scope import shop_rows


def order_customer(event: ev.Event) -> tuple[Order, Customer] | None:
    """The stored live order of an order event and its customer, if both are known."""
    order = stored_order(event)
    if order is None or order.cancelled or order.customer_id is None:
        return None
    shop_id, customer_id = event.shop_id, order.customer_id
    customer = once_per_event(
        ("customer", shop_id, customer_id),
        lambda: ShopScope(shop_id).get(Customer, customer_id),
    )
    return (order, customer) if customer is not None else None


_ACTIVE_RUNS = shop_rows(
    FlowRun, FlowRun.state == "active", FlowRun.customer_id == sa.bindparam("customer_id")
)


def customer_runs_before(flow_key: str) -> StopRule:
    """Runs of the ordering customer that began before this order was placed.

    "Before" matters: a replayed delivery of an older order must not stop the run that a
    newer order started.
    """

    def rule(event: ev.Event) -> list[sa.ColumnElement[bool]]:
        found = order_customer(event)
        if found is None:
            return []
        order, customer = found
        # Every flow's rule asks: the customer's active runs are read once for all of them.
        # Cancelling one flow's runs leaves the other flows' in the list as they are.
        shop_id, customer_id = event.shop_id, customer.id
        runs = once_per_event(
            ("active runs", shop_id, customer_id),
            lambda: list(ShopScope(shop_id).run(_ACTIVE_RUNS, customer_id=customer_id).scalars()),
        )
        ids = [run.id for run in runs if run.flow_key == flow_key and _began(run) < order.placed_at]
        return [FlowRun.id.in_(ids)] if ids else []

    return rule


def _began(run: FlowRun) -> datetime:
    anchor = run.context.get("anchor")
    return min(run.started_at, datetime.fromisoformat(anchor)) if anchor else run.started_at


def withdrawn_customer(event: ev.Event) -> Customer | None:
    """The customer of a consent update, when as now stored they no longer accept marketing
    email (the stored state decides: a stale update cannot cancel anything)."""
    assert isinstance(event, ev.CustomerUpdated)
    if event.customer.email_consent is not False or not event.customer.email:
        return None
    email = event.customer.email.strip().lower()
    customer = ShopScope(event.shop_id).first(Customer, Customer.email == email)
    if customer is None or customer.is_marketing_allowed("email"):
        return None
    return customer


def consent_withdrawn(event: ev.Event) -> list[sa.ColumnElement[bool]]:
    """The customer's runs, when they withdrew consent to marketing email."""
    customer = withdrawn_customer(event)
    return [FlowRun.customer_id == customer.id] if customer is not None else []


__all__ = ["consent_withdrawn", "customer_runs_before", "order_customer", "withdrawn_customer"]
