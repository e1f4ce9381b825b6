"""The abandoned-cart flow, declared as data.

A cart with items and a known, consenting contact that has been inactive for 60 minutes is
abandoned. Reminders go out 1 h, 24 h and 72 h after the last activity (the third with a
single-use 10 % code, created through the shop's connector when the mail is sent), plus an
optional SMS with the first when the shopper agreed to SMS and the shop has a gateway.

Below the cart each reminder shows what goes with the cart's products and what the shopper
last looked at (product blocks the merchant can switch off; never a product of the cart).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from app.emails.context import cart_context
from app.emails.restore_links import restore_link
from app.events import types as ev
from app.flows.discounts import discount_code, discount_context, discount_for
from app.flows.engine.definition import Enrollment, Flow, Setting, Settings, Step, Verdict
from app.flows.engine.settings import COMMON_SETTINGS
from app.flows.product_blocks import block_settings, blocks_for, chosen
from app.flows.stop_rules import withdrawn_customer
from app.models import Cart, Customer, Discount, FlowRun, Message, Shop, ShopScope, db
from app.models.batch import known, memo, note_known
from app.models.scope import shop_row_ids

log = logging.getLogger(__name__)
KEY = "abandoned_cart"
_DELAYS = ("email_1_delay_minutes", "email_2_delay_minutes", "email_3_delay_minutes")
# Product blocks below the cart, in this order: what goes with it, what they last looked at.
BLOCKS = ("recommended", "last_viewed")
BLOCK_PRODUCTS = 3


def _cart_enrollment(
    shop_id: int, cart_key: str | None, at: datetime, settings: Settings
) -> list[Enrollment]:
    """The cart as a subject, when it has items and a contact who agreed to marketing."""
    scope = ShopScope(shop_id)
    cart = scope.by_key(Cart, "cart_key", cart_key) if cart_key else None
    if cart is None or not cart.items or not cart.email or cart.status != "active":
        return []
    customer = scope.get(Customer, cart.customer_id) if cart.customer_id else None
    if customer is None or not customer.is_marketing_allowed("email"):
        return []
    if _recently_reminded(shop_id, cart.cart_key, at, settings):
        return []
    context = {"cart_key": cart.cart_key, "email": cart.email, "phone": cart.phone}
    return [Enrollment(f"cart:{cart.cart_key}", customer.id, at, context)]


def _on_cart(event: ev.Event, settings: Settings) -> list[Enrollment]:
    assert isinstance(event, ev.CartUpdated)
    return _cart_enrollment(event.shop_id, event.cart_key, event.updated_at, settings)


def _on_contact(event: ev.Event, settings: Settings) -> list[Enrollment]:
    # A guest typed their email into the checkout: the cart now has someone to remind.
    assert isinstance(event, ev.CheckoutContact)
    return _cart_enrollment(event.shop_id, event.cart_key, event.updated_at, settings)


_FINISHED_SINCE = shop_row_ids(
    FlowRun,
    FlowRun.flow_key == KEY,
    FlowRun.subject_key == sa.bindparam("subject"),
    FlowRun.end_reason == "sequence_finished",
    FlowRun.ended_at > sa.bindparam("since"),
)


# Several shops at once (a batch's carts), each subject matched within its own shop. Runs
# finish in their own step's transaction, never in a batch of deliveries: read ahead, the
# answer holds for the batch.
_LAST_FINISHED = (
    sa.select(FlowRun.shop_id, FlowRun.subject_key, sa.func.max(FlowRun.ended_at))
    .where(
        FlowRun.flow_key == KEY,
        sa.tuple_(FlowRun.shop_id, FlowRun.subject_key).in_(
            sa.bindparam("subjects", expanding=True)
        ),
        FlowRun.end_reason == "sequence_finished",
    )
    .group_by(FlowRun.shop_id, FlowRun.subject_key)
)


def _recently_reminded(shop_id: int, cart_key: str, at: datetime, settings: Settings) -> bool:
    """The cart went through the whole sequence lately: a shopper who ignored three reminders
    does not get three more for nudging the same cart."""
    pause = timedelta(days=int(settings["repeat_after_days"]))
    subject = f"cart:{cart_key}"
    found = known(db.session(), _finished_key(shop_id, subject))
    if found is not None:
        (last,) = found
        return last is not None and last > at - pause
    return ShopScope(shop_id).has(_FINISHED_SINCE, subject=subject, since=at - pause)


def _finished_key(shop_id: int, subject: str) -> tuple[Any, ...]:
    return (FlowRun, shop_id, "last finished", subject)


def _read_finished(events: list[ev.Event]) -> None:
    """When each cart of these events last went through the whole sequence, if ever."""
    session = db.session()
    subjects = {
        (event.shop_id, f"cart:{event.cart_key}")
        for event in events
        if isinstance(event, ev.CartUpdated | ev.CheckoutContact) and event.cart_key
    }
    if memo(session) is None or not subjects:
        return
    last = {
        (shop_id, subject): at
        for shop_id, subject, at in session.execute(_LAST_FINISHED, {"subjects": list(subjects)})
    }
    for shop_id, subject in subjects:
        # In a tuple: a cart never finished is known too (None alone would mean "not read").
        note_known(session, _finished_key(shop_id, subject), (last.get((shop_id, subject)),))


def _emptied(event: ev.Event) -> list[sa.ColumnElement[bool]]:
    """The cart's run, when the cart as now stored is empty (a stale update is ignored)."""
    assert isinstance(event, ev.CartUpdated)
    if not event.is_empty:
        return []
    cart = ShopScope(event.shop_id).by_key(Cart, "cart_key", event.cart_key)
    if cart is not None and cart.items:
        return []
    return [FlowRun.subject_key == f"cart:{event.cart_key}"]


def _ordered(event: ev.Event) -> list[sa.ColumnElement[bool]]:
    """Runs of the cart that became the order, and of anyone with the order's email."""
    assert isinstance(event, ev._OrderEvent)
    if isinstance(event, ev.OrderCancelled):
        return []
    match = []
    if event.cart_key:
        match.append(FlowRun.subject_key == f"cart:{event.cart_key}")
    if event.customer.email:
        match.append(FlowRun.context["email"].as_string() == event.customer.email.lower())
    return [sa.or_(*match)] if match else []


def _consent_withdrawn(event: ev.Event) -> list[sa.ColumnElement[bool]]:
    """The shopper's runs (matched by email: a cart's shopper may have no customer id yet)."""
    customer = withdrawn_customer(event)
    if customer is None or not customer.email:
        return []
    return [FlowRun.context["email"].as_string() == customer.email]


def cart_still_abandoned(
    shop: Shop, run: FlowRun, settings: Settings, now: datetime
) -> Verdict | None:
    cart = ShopScope(shop.id).first(Cart, Cart.cart_key == run.context.get("cart_key"))
    if cart is None or not cart.items:
        return Verdict(stop="cart_emptied")
    if cart.status == "converted":
        return Verdict(stop="order_placed")
    return None


def _steps_in_order(settings: Settings) -> str | None:
    delays = [int(settings[k]) for k in _DELAYS]
    if delays != sorted(set(delays)):
        return "the reminders must come in order: email 1 before email 2 before email 3"
    if delays[0] < int(settings["inactivity_minutes"]):
        return "the first reminder cannot come before the cart counts as abandoned"
    return None


def _discount_for(shop: Shop, message: Message, settings: Settings, now: datetime) -> Discount:
    return discount_for(
        shop, message, settings, now, title="Storeflow abandoned cart", prefix="BACK"
    )


def compose(
    shop: Shop, run: FlowRun, step: Step, message: Message, settings: Settings, now: datetime
) -> dict[str, Any]:
    """The template context of this run's current step (tracking links are the engine's)."""
    cart = ShopScope(shop.id).first(Cart, Cart.cart_key == run.context["cart_key"])
    assert cart is not None  # cart_still_abandoned stopped the run otherwise
    discount = _discount_for(shop, message, settings, now) if step.discount else None
    valid = timedelta(days=int(settings["restore_link_valid_days"]))
    code = discount.code if discount else None
    return {
        **cart_context(shop, cart),
        "restore_url": restore_link(shop, cart, code, (now + valid).timestamp()),
        "discount": discount_context(discount),
        "blocks": _blocks(shop.id, run, cart, settings),
    }


def _blocks(shop_id: int, run: FlowRun, cart: Cart, settings: Settings) -> list[dict[str, Any]]:
    """The chosen blocks, seeded by the cart's products and never repeating one of them."""
    if run.customer_id is None:
        return []
    in_cart = [str(item.get("product_id")) for item in cart.items]
    kinds = chosen(settings, BLOCKS)
    return blocks_for(
        shop_id, run.customer_id, kinds, BLOCK_PRODUCTS, seeds=in_cart, exclude=in_cart
    )


FLOW = Flow(
    key=KEY,
    rank=0,  # abandoned cart wins the frequency cap over every other flow
    marketing=True,
    triggers={ev.CartUpdated: _on_cart, ev.CheckoutContact: _on_contact},
    stop_rules={
        ev.CartUpdated: ("cart_emptied", _emptied),
        ev.OrderCreated: ("order_placed", _ordered),
        ev.OrderPaid: ("order_placed", _ordered),
        ev.CustomerUpdated: ("consent_withdrawn", _consent_withdrawn),
    },
    steps=(
        Step("email_1_delay_minutes", "email", "abandoned_cart_1"),
        Step("email_1_delay_minutes", "sms", "abandoned_cart_1", enabled_setting="sms"),
        Step("email_2_delay_minutes", "email", "abandoned_cart_2"),
        Step("email_3_delay_minutes", "email", "abandoned_cart_3", discount=True),
    ),
    settings=(
        Setting("inactivity_minutes", 60, 1, 1440, "a cart idle this long is abandoned"),
        Setting("email_1_delay_minutes", 60, 1, 10080, "first reminder after activity"),
        Setting("email_2_delay_minutes", 1440, 2, 20160, "second reminder"),
        Setting("email_3_delay_minutes", 4320, 3, 43200, "third reminder, with a code"),
        Setting("sms", False, help="text the first reminder too (SMS consent + gateway)"),
        Setting("discount_percent", 10, 1, 50, "the third reminder's discount"),
        Setting("discount_valid_hours", 48, 1, 720, "how long the code works"),
        Setting("restore_link_valid_days", 7, 1, 30, "how long the cart link works"),
        Setting("repeat_after_days", 14, 0, 365, "a finished cart is not reminded again sooner"),
        *block_settings({"recommended": True, "last_viewed": True}),
        *COMMON_SETTINGS,
    ),
    checks=(cart_still_abandoned,),
    compose=compose,
    consistency=(_steps_in_order,),
    read_ahead=_read_finished,
)


__all__ = ["FLOW", "KEY", "compose", "discount_code"]
