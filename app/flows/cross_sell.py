"""The cross-sell flow, declared as data.

An order of a customer who agreed to marketing email starts one run (subject: the order) once
it reaches the milestone the merchant chose (``starts_after``: paid by default, or placed, or
fulfilled, i.e. sent by the shop, or delivered by the courier — app/shipping/tracking.py starts
those runs). Seven days after that (setting), one email suggests up to four products that go
with what was bought (``recommendations.recommend_for_order``: the merchant's picks, then what
other customers bought together, then bestsellers; never what they own, out of stock or
unpublished), with an optional up-sell block of pricier products of the same category.

The suggestions are the "recommended for what they bought" block of this email; the merchant
may add what the customer last looked at and what they saw that is cheaper now (product
blocks, off by default; an empty one is left out).

The run stops when the customer orders again before the send (a new run follows that order),
when the order is cancelled, or when consent goes; frequency cap, quiet hours, holdout and
attribution are the engine's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.emails.context import shop_branding, shop_url
from app.events import types as ev
from app.events.apply import inserted_by_batch
from app.flows.engine.definition import Enrollment, Flow, Setting, Settings, Step, Verdict
from app.flows.engine.settings import BEST_TIME_WINDOW, COMMON_SETTINGS
from app.flows.product_blocks import block_settings, blocks_for, chosen
from app.flows.stop_rules import consent_withdrawn, customer_runs_before, order_customer
from app.insights.recommendations import Suggestion, recommend_for_order, upsell_for
from app.models import Customer, FlowRun, Message, Order, Product, Shop, ShopScope
from app.models.commerce import ORDER_MILESTONES
from app.models.flows import started_in_batch
from app.models.scope import shop_row_ids

KEY = "cross_sell"
UPSELL_COUNT = 2
# Blocks the merchant may add below the suggestions.
BLOCKS = ("last_viewed", "discounted")


# When the email's delay starts: an order milestone, or the courier's delivery.
STARTS_AFTER = (*ORDER_MILESTONES, "delivered")


def _on_milestone(event: ev.Event, settings: Settings) -> list[Enrollment]:
    """The order as a subject, once it reached the milestone the flow waits for (the stored
    order decides, whichever event brought the news) and its customer may get marketing email."""
    if settings["starts_after"] == "delivered":
        return []  # the courier's "delivered" starts the run instead
    found = order_customer(event)
    if found is None:
        return []
    order, customer = found
    reached = order.reached(str(settings["starts_after"]))
    if reached is None:
        return []
    # Delays count from the milestone in the platform's time (the earliest report of it): a
    # late or replayed webhook does not push the email further away.
    enrollment = _enrollment(event.shop_id, order, customer, reached)
    return [enrollment] if enrollment is not None else []


def delivery_enrollment(
    shop_id: int, order_id: int, delivered_at: datetime, settings: Settings
) -> Enrollment | None:
    """The run a delivered order starts when the shop counts the delay from delivery."""
    if settings["starts_after"] != "delivered":
        return None
    scope = ShopScope(shop_id)
    order = scope.get(Order, order_id)
    if order is None or order.cancelled or order.customer_id is None:
        return None
    customer = scope.get(Customer, order.customer_id)
    if customer is None:
        return None
    return _enrollment(shop_id, order, customer, delivered_at)


_ENDED_RUN = shop_row_ids(
    FlowRun,
    FlowRun.flow_key == KEY,
    FlowRun.subject_key == sa.bindparam("subject"),
    FlowRun.state != "active",
)


def _enrollment(
    shop_id: int, order: Order, customer: Customer, anchor: datetime
) -> Enrollment | None:
    if not customer.email or not customer.is_marketing_allowed("email"):
        return None
    subject = f"order:{order.id}"
    # An order the batch inserted has had no run but one the batch started.
    never_run = inserted_by_batch(order) and not started_in_batch(shop_id, subject)
    if not never_run and ShopScope(shop_id).has(_ENDED_RUN, subject=subject):
        # One follow-up per order: WooCommerce re-sends "paid" on every later status change
        # and the reconcile replays orders, long after this order's email went out.
        return None
    return Enrollment(subject, customer.id, anchor, {"order_id": order.id, "email": customer.email})


def _cancelled(event: ev.Event) -> list[sa.ColumnElement[bool]]:
    assert isinstance(event, ev.OrderCancelled)
    order = ShopScope(event.shop_id).by_key(Order, "platform_order_id", event.order_id)
    return [FlowRun.subject_key == f"order:{order.id}"] if order is not None else []


def suggestions(shop_id: int, order: Order, settings: Settings) -> list[Suggestion]:
    """What the email shows (only products with a price: a card without one cannot render)."""
    found = recommend_for_order(shop_id, order.id, limit=int(settings["products"]) + 4)
    return [s for s in found if s.price is not None][: int(settings["products"])]


def _upsells(shop_id: int, order: Order, shown: list[Suggestion]) -> list[Suggestion]:
    """Pricier products of the kinds bought, none already suggested above."""
    shown_ids = {s.product_id for s in shown}
    platform_ids = [str(item["product_id"]) for item in order.items]
    in_order = [
        p.id for p in ShopScope(shop_id).all(Product, Product.platform_product_id.in_(platform_ids))
    ]
    found = upsell_for(shop_id, in_order, limit=UPSELL_COUNT + len(shown_ids))
    return [s for s in found if s.price is not None and s.product_id not in shown_ids][
        :UPSELL_COUNT
    ]


def order_still_worth_it(
    shop: Shop, run: FlowRun, settings: Settings, now: datetime
) -> Verdict | None:
    order = ShopScope(shop.id).get(Order, int(run.context["order_id"]))
    if order is None or order.cancelled:
        return Verdict(stop="order_cancelled")
    if not suggestions(shop.id, order, settings):
        return Verdict(stop="nothing_to_recommend")
    return None


def compose(
    shop: Shop, run: FlowRun, step: Step, message: Message, settings: Settings, now: datetime
) -> dict[str, Any]:
    scope = ShopScope(shop.id)
    order = scope.get(Order, int(run.context["order_id"]))
    assert order is not None  # order_still_worth_it stopped the run otherwise
    customer = scope.get(Customer, run.customer_id) if run.customer_id else None
    shown = suggestions(shop.id, order, settings)
    upsell = _upsells(shop.id, order, shown) if settings["upsell"] else []
    in_order = [str(item["product_id"]) for item in order.items]
    blocks = (
        blocks_for(
            shop.id,
            customer.id,
            chosen(settings, BLOCKS),
            int(settings["products"]),
            exclude=in_order + [s.platform_product_id for s in shown + upsell],
        )
        if customer
        else []
    )
    return {
        "shop": shop_branding(shop),
        "shop_url": shop_url(shop),
        "customer": {"first_name": customer.first_name if customer else ""},
        "currency": order.currency,
        "recommendations": [s.card() for s in shown],
        "upsell": [s.card() for s in upsell],
        "blocks": blocks,
    }


FLOW = Flow(
    key=KEY,
    rank=1,  # after abandoned cart, before reactivation in the frequency cap
    marketing=True,
    triggers={
        ev.OrderCreated: _on_milestone,
        ev.OrderPaid: _on_milestone,
        ev.OrderFulfilled: _on_milestone,
    },
    stop_rules={
        ev.OrderCreated: ("order_placed", customer_runs_before(KEY)),
        ev.OrderPaid: ("order_placed", customer_runs_before(KEY)),
        ev.OrderCancelled: ("order_cancelled", _cancelled),
        ev.CustomerUpdated: ("consent_withdrawn", consent_withdrawn),
    },
    steps=(
        Step("email_delay_minutes", "email", "cross_sell", best_time_setting="email_best_time"),
    ),
    settings=(
        Setting(
            "starts_after",
            "paid",
            help="the order's step the email counts from: placed, paid, fulfilled (sent by the "
            "shop) or delivered (by the courier)",
            choices=STARTS_AFTER,
        ),
        Setting("email_delay_minutes", 7 * 1440, 1, 60 * 1440, "email after that step"),
        Setting("email_best_time", False, help="the email at the customer's best hour"),
        BEST_TIME_WINDOW,
        Setting("products", 4, 1, 4, "how many suggested products the email shows"),
        Setting("upsell", False, help="add a block of pricier products of the same kind"),
        *block_settings({"last_viewed": False, "discounted": False}),
        *COMMON_SETTINGS,
    ),
    checks=(order_still_worth_it,),
    compose=compose,
)

__all__ = ["FLOW", "KEY", "compose", "delivery_enrollment", "suggestions"]
