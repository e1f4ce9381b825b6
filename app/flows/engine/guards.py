"""Send-time checks every step passes, under the run's row lock.

Stops come first (the shopper bought, unsubscribed, lost consent; the shop left; the flow was
switched off), then deferrals (the shop's legal details missing, frequency cap, quiet hours),
which move the step later and never drop it. What was true when the step was scheduled does
not count: only what is true now.
A transactional step (the shipping notice) is owed to the customer: it needs no consent, and
a later order, the frequency cap and quiet hours do not hold it back; a suppressed address
(bounced, complained, unsubscribed) still gets nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta

import sqlalchemy as sa

from app.emails.tracking import is_suppressed
from app.flows.engine import best_time, platform_orders
from app.flows.engine.best_time import in_quiet_hours
from app.flows.engine.channels import CHANNELS
from app.flows.engine.definition import Flow, Settings, Verdict
from app.flows.engine.settings import is_switched_on
from app.insights.engagement import stage_condition_holds, stage_of_customer
from app.models import (
    Customer,
    FlowRun,
    Message,
    Order,
    Shop,
    ShopScope,
    WebhookDelivery,
    db,
    missing_for_marketing,
)

# How often a marketing step waiting for the shop's postal address or sender looks again.
SHOP_DETAILS_RECHECK = timedelta(minutes=15)
# A step held back by an order delivery that is stored but not yet applied looks again this
# much later (by then a worker has normally applied it, and the order stops the run).
PENDING_ORDER_RECHECK = timedelta(minutes=1)
# More unapplied order deliveries than this (since the run's anchor) and we do not read their
# bodies: the workers are behind, and a reminder can wait for them.
PENDING_ORDER_SCAN = 100
# Our clock (when a delivery was stored) against the platform's (the cart's last activity).
PENDING_ORDER_SKEW = timedelta(minutes=5)
STOP_CHECKS: list[Callable[[Shop, Flow, FlowRun, str], str | None]] = []


def _stop_check(
    func: Callable[[Shop, Flow, FlowRun, str], str | None],
) -> Callable[[Shop, Flow, FlowRun, str], str | None]:
    STOP_CHECKS.append(func)
    return func


@_stop_check
def _shop_active(shop: Shop, flow: Flow, run: FlowRun, channel: str) -> str | None:
    return None if shop.status == "active" else "shop_uninstalled"


@_stop_check
def _flow_enabled(shop: Shop, flow: Flow, run: FlowRun, channel: str) -> str | None:
    return None if is_switched_on(shop.id, flow) else "flow_disabled"


@_stop_check
def _channel_ready(shop: Shop, flow: Flow, run: FlowRun, channel: str) -> str | None:

    ready = channel in CHANNELS and CHANNELS[channel].is_ready(shop)
    return None if ready else "channel_unavailable"


@_stop_check
def _consent(shop: Shop, flow: Flow, run: FlowRun, channel: str) -> str | None:
    if not flow.marketing:
        return None
    customer = ShopScope(shop.id).get(Customer, run.customer_id) if run.customer_id else None
    if customer is None or not customer.is_marketing_allowed(channel):
        return "consent_missing"
    return None


@_stop_check
def _suppressed(shop: Shop, flow: Flow, run: FlowRun, channel: str) -> str | None:

    address = recipient(run, channel)
    if address is None:
        return "no_contact"
    return "unsubscribed" if is_suppressed(shop.id, address, channel) else None


@_stop_check
def _bought_since_start(shop: Shop, flow: Flow, run: FlowRun, channel: str) -> str | None:
    """Any live order since the run began, matched by cart, customer or email."""
    if not flow.marketing:
        return None  # a new order does not make the last one's shipping notice moot
    return "order_placed" if order_since(shop.id, run) is not None else None


def order_since(shop_id: int, run: FlowRun) -> Order | None:
    match: list[sa.ColumnElement[bool]] = []
    if run.context.get("cart_key"):
        match.append(Order.cart_key == run.context["cart_key"])
    if run.customer_id:
        match.append(Order.customer_id == run.customer_id)
    if run.context.get("email"):
        match.append(Order.email == run.context["email"])
    if not match:
        return None
    criteria = [
        sa.or_(*match),
        Order.cancelled.is_(False),
        Order.placed_at >= orders_count_from(run),
    ]
    if run.context.get("order_id"):
        # The order a run is about (the purchase a cross-sell follows up) is not a new one.
        criteria.append(Order.id != int(run.context["order_id"]))
    return ShopScope(shop_id).first(Order, *criteria)


def order_pending(shop_id: int, run: FlowRun) -> bool:
    """An order delivery of this shop that we answered 200 and stored but a worker has not
    applied yet, naming this run's cart key or email: ``order_since`` cannot see it yet.

    One query on the (few) unapplied order deliveries of this shop since the run's anchor; the
    bodies are searched as bytes, case-folded, for the cart key and the email. A false match
    (a key that appears in another order) costs one minute's wait, never a mail."""
    needles = [
        str(value).lower().encode()
        for value in (run.context.get("cart_key"), run.context.get("email"))
        if value
    ]
    if not needles:
        return False
    bodies = db.session.scalars(
        ShopScope(shop_id)
        .select(
            WebhookDelivery,
            WebhookDelivery.status == "received",
            WebhookDelivery.topic.ilike("%order%"),
            WebhookDelivery.received_at >= orders_count_from(run) - PENDING_ORDER_SKEW,
        )
        .with_only_columns(WebhookDelivery.body)
        .limit(PENDING_ORDER_SCAN + 1)
    ).all()
    if len(bodies) > PENDING_ORDER_SCAN:
        return True
    return any(needle in bytes(body).lower() for body in bodies for needle in needles)


def orders_count_from(run: FlowRun) -> datetime:
    # Webhooks arrive late (WooCommerce by a minute or two): an order placed after the cart's
    # last activity counts even if it was placed before we enrolled the cart.
    since = run.started_at
    if run.context.get("anchor"):
        since = min(since, datetime.fromisoformat(run.context["anchor"]))
    return since


def recipient(run: FlowRun, channel: str) -> str | None:
    value = run.context.get("email" if channel == "email" else "phone")
    return str(value) if value else None


def frequency_cap(
    shop: Shop, flow: Flow, run: FlowRun, settings: Settings, now: datetime, ranks: dict[str, int]
) -> datetime | None:
    """When the cap lets this run send again, if a message of an equal or higher-ranked flow
    reached the same customer within the window; None when it may send now."""
    hours = int(settings["frequency_cap_hours"])
    if hours == 0 or not flow.marketing:
        return None
    window = timedelta(hours=hours)
    peers = [key for key, rank in ranks.items() if rank <= flow.rank]
    same_person = [Message.recipient == recipient(run, "email")]
    if run.customer_id:
        same_person.append(Message.customer_id == run.customer_id)
    # A message another worker is handing to the provider right now counts too ("sending"),
    # and one that perhaps reached the shopper ("uncertain").
    when = sa.func.coalesce(Message.sent_at, Message.updated_at)
    last = db.session.scalar(
        ShopScope(shop.id)
        .select(
            Message,
            Message.kind == "marketing",
            Message.status.in_(("sent", "sending", "uncertain")),
            when > now - window,
            Message.run_id != run.id,
            FlowRun.flow_key.in_(peers),
            sa.or_(*same_person),
        )
        .join(FlowRun, sa.and_(FlowRun.shop_id == Message.shop_id, FlowRun.id == Message.run_id))
        .with_only_columns(sa.func.max(when))
    )
    return last + window if last is not None else None


def quiet_hours_end(shop: Shop, settings: Settings, now: datetime) -> datetime | None:
    """The end of the shop's quiet hours if ``now`` falls inside them (shop's own timezone)."""
    zone = shop.zone
    local = now.astimezone(zone)
    if not in_quiet_hours(local.hour, settings):
        return None
    start, end = int(settings["quiet_hours_start"]), int(settings["quiet_hours_end"])
    # Quiet hours that span midnight and began this evening end tomorrow morning.
    day = local.date() + timedelta(days=1) if start > end and local.hour >= start else local.date()
    return datetime.combine(day, time(end), tzinfo=zone).astimezone(now.tzinfo)


def lifecycle_stage_allowed(shop: Shop, flow: Flow, run: FlowRun, settings: Settings) -> bool:
    """The flow's lifecycle condition ("only at-risk customers", "not lapsed"), on the stage
    the daily score gave the customer last; a marketing flow's only."""
    condition = str(settings.get("lifecycle_stages", "all"))
    if not flow.marketing or condition == "all":
        return True
    return stage_condition_holds(condition, stage_of_customer(shop.id, run.customer_id))


def check(
    shop: Shop,
    flow: Flow,
    run: FlowRun,
    channel: str,
    settings: Settings,
    now: datetime,
    ranks: dict[str, int],
) -> Verdict | None:
    """The first reason not to send now, or None when the step may go out."""
    for stop in STOP_CHECKS:
        reason = stop(shop, flow, run, channel)
        if reason:
            return Verdict(stop=reason)
    if not lifecycle_stage_allowed(shop, flow, run, settings):
        return Verdict(stop="lifecycle_stage")
    if flow.marketing and order_pending(shop.id, run):
        # The order may be this shopper's purchase: apply it first (a worker has it queued).
        return Verdict(defer_until=now + PENDING_ORDER_RECHECK, reason="order_pending")
    if flow.marketing and missing_for_marketing(shop):
        # The law wants the sender named with a postal address: wait (the merchant page says
        # what is missing) rather than send without them or give the shopper up.
        return Verdict(defer_until=now + SHOP_DETAILS_RECHECK, reason="shop_details")
    for flow_check in flow.checks:
        verdict = flow_check(shop, run, settings, now)
        if verdict is not None:
            return verdict
    if not flow.marketing:
        return None
    later = [
        (t, reason)
        for t, reason in (
            (frequency_cap(shop, flow, run, settings, now, ranks), "frequency_cap"),
            (quiet_hours_end(shop, settings, now), "quiet_hours"),
        )
        if t is not None
    ]
    until, reason = max(later) if later else (now, None)
    # A step set to "best time" waits on from there for the customer's hour (inside its window).
    best = best_time.aim(shop, flow, run, settings, until)
    if best is not None and best > until:
        until, reason = best, "best_time"
    if until > now:
        return Verdict(defer_until=until, reason=reason)
    # Last, so the platform is asked only about a step that would otherwise go out now.
    return platform_orders.verdict(shop, run, orders_count_from(run), now)
