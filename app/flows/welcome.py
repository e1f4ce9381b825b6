"""The welcome series for new newsletter subscribers, and its double opt-in, declared as data.

A sign-up is a customer whose email consent turns to "granted" (Shopify's ``customers/create``
or ``customers/update`` with ``email_marketing_consent.state`` "subscribed", a WooCommerce
checkout box or plugin sign-up): three emails follow — a welcome with an optional first-order
code, the shop's story, its bestsellers — and the first order stops them. Someone who has
already bought is a customer, not a new subscriber: no series.

Double opt-in (``double_opt_in``: "country" = on for shops in Germany and Austria, "on",
"off"): the platform's "subscribed" leaves the customer "pending" (``app/events/apply.py``), the
transactional ``CONFIRMATION`` flow sends one email with a signed link, and only the click
grants consent, with its time, IP and source (``app/emails/opt_in.py``); then the series starts.
Nothing marketing reaches a pending customer: ``is_marketing_allowed`` wants "granted".
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from app.emails.context import shop_branding, shop_url
from app.emails.opt_in import confirm_url
from app.events import types as ev
from app.flows.discounts import discount_context, discount_for
from app.flows.engine import clock
from app.flows.engine.definition import Enrollment, Flow, Setting, Settings, Step, Verdict
from app.flows.engine.settings import BEST_TIME_WINDOW, COMMON_SETTINGS, settings_for
from app.flows.product_blocks import block_settings, blocks_for, chosen
from app.flows.stop_rules import consent_withdrawn, customer_runs_before
from app.models import WELCOME_FLOW_KEY, Customer, FlowRun, Message, Shop, ShopScope
from app.models.newsletter import DOUBLE_OPT_IN_CHOICES

KEY = WELCOME_FLOW_KEY
CONFIRMATION_KEY = "welcome_confirmation"
_DELAYS = ("welcome_delay_minutes", "story_delay_minutes", "bestsellers_delay_minutes")
# The third email's blocks: what they looked at (when they did), then the bestsellers.
BLOCKS = ("last_viewed", "bestsellers")


# Where a sign-up shows: Shopify's customer updates; WooCommerce's checkout box and plugin
# sign-ups, which arrive with the contact of a cart or checkout (consent ticked).
SIGNUP_EVENTS = (ev.CustomerUpdated, ev.CartUpdated, ev.CheckoutContact)


def signed_up(event: ev.Event) -> Customer | None:
    """The stored customer whose consent the event speaks of (the stored state decides, not
    the event); None for a cart or checkout that says nothing about consent."""
    assert isinstance(event, SIGNUP_EVENTS)
    contact = event.customer
    if not isinstance(event, ev.CustomerUpdated) and contact.email_consent is not True:
        return None
    scope = ShopScope(event.shop_id)
    if contact.platform_customer_id:
        found = scope.by_key(Customer, "platform_customer_id", contact.platform_customer_id)
        if found is not None:
            return found
    email = (contact.email or "").strip().lower()
    return scope.by_key(Customer, "email", email) if email else None


def _ever_enrolled(shop_id: int, flow_key: str, subject: str, since: datetime | None) -> bool:
    criteria = [FlowRun.flow_key == flow_key, FlowRun.subject_key == subject]
    if since is not None:
        criteria.append(FlowRun.started_at >= since)
    return ShopScope(shop_id).first(FlowRun, *criteria) is not None


def _on_signup(event: ev.Event, settings: Settings) -> list[Enrollment]:
    customer = signed_up(event)
    if customer is None or not customer.email or not customer.is_marketing_allowed("email"):
        return []
    if customer.order_count or customer.first_order_at is not None:
        return []  # already a customer: the series introduces the shop to newcomers
    now = clock.now()
    window = timedelta(hours=int(settings["signup_window_hours"]))
    if customer.email_consent_at is None or customer.email_consent_at < now - window:
        return []  # an old subscriber's profile edit is not a sign-up
    subject = f"customer:{customer.id}"
    if _ever_enrolled(customer.shop_id, KEY, subject, None):
        return []  # one welcome per person, whatever became of the first
    return [Enrollment(subject, customer.id, now, {"email": customer.email})]


def _on_pending(event: ev.Event, settings: Settings) -> list[Enrollment]:
    """A sign-up waiting for its confirmation: one confirmation email per sign-up."""
    customer = signed_up(event)
    if customer is None or not customer.email or customer.email_consent != "pending":
        return []
    subject = f"optin:{customer.id}"
    if _ever_enrolled(customer.shop_id, CONFIRMATION_KEY, subject, customer.email_consent_at):
        return []
    return [Enrollment(subject, customer.id, clock.now(), {"email": customer.email})]


def _confirmed_elsewhere(event: ev.Event) -> list[sa.ColumnElement[bool]]:
    """A confirmation run whose customer no longer waits (confirmed, or said no)."""
    customer = signed_up(event)
    if customer is None or customer.email_consent == "pending":
        return []
    return [FlowRun.customer_id == customer.id]


def _customer(shop: Shop, run: FlowRun) -> Customer | None:
    return ShopScope(shop.id).get(Customer, run.customer_id) if run.customer_id else None


def still_waiting(shop: Shop, run: FlowRun, settings: Settings, now: datetime) -> Verdict | None:
    """At send time: the confirmation goes only to someone still waiting to confirm."""
    customer = _customer(shop, run)
    if customer is None or customer.email_consent != "pending":
        return Verdict(stop="no_longer_pending")
    return None


def _steps_in_order(settings: Settings) -> str | None:
    delays = [int(settings[k]) for k in _DELAYS]
    if delays != sorted(set(delays)):
        return "the welcome emails must come in order: welcome, story, bestsellers"
    return None


def compose(
    shop: Shop, run: FlowRun, step: Step, message: Message, settings: Settings, now: datetime
) -> dict[str, Any]:
    customer = _customer(shop, run)
    assert customer is not None  # the consent guard stopped the run otherwise
    offer = step.discount and bool(settings["first_order_code"])
    discount = (
        discount_for(shop, message, settings, now, title="Storeflow welcome", prefix="HELLO")
        if offer
        else None
    )
    blocks = (
        blocks_for(shop.id, customer.id, chosen(settings, BLOCKS), int(settings["products"]))
        if step.template == "welcome_3"
        else []
    )
    return {
        "shop": shop_branding(shop),
        "shop_url": shop_url(shop),
        "customer": {"first_name": customer.first_name},
        "discount": discount_context(discount),
        "blocks": blocks,
    }


def compose_confirmation(
    shop: Shop, run: FlowRun, step: Step, message: Message, settings: Settings, now: datetime
) -> dict[str, Any]:
    customer = _customer(shop, run)
    assert customer is not None  # still_waiting stopped the run otherwise
    welcome = settings_for(shop.id, FLOW)
    expires = now + timedelta(days=int(welcome["confirm_link_valid_days"]))
    locale = customer.locale or shop.locale
    return {
        "shop": shop_branding(shop),
        "shop_url": shop_url(shop),
        "customer": {"first_name": customer.first_name},
        "confirm_url": confirm_url(shop.id, customer, locale, expires),
    }


FLOW = Flow(
    key=KEY,
    rank=2,  # below carts and browsing in the frequency cap: a newcomer's cart comes first
    marketing=True,
    triggers={kind: _on_signup for kind in SIGNUP_EVENTS},
    stop_rules={
        ev.OrderCreated: ("order_placed", customer_runs_before(KEY)),
        ev.OrderPaid: ("order_placed", customer_runs_before(KEY)),
        ev.CustomerUpdated: ("consent_withdrawn", consent_withdrawn),
    },
    steps=(
        Step("welcome_delay_minutes", "email", "welcome_1", discount=True),
        Step("story_delay_minutes", "email", "welcome_2", best_time_setting="story_best_time"),
        Step(
            "bestsellers_delay_minutes",
            "email",
            "welcome_3",
            best_time_setting="bestsellers_best_time",
        ),
    ),
    settings=(
        Setting("double_opt_in", "country", help="confirm sign-ups", choices=DOUBLE_OPT_IN_CHOICES),
        Setting("confirm_link_valid_days", 7, 1, 30, "how long the confirmation link works"),
        Setting("signup_window_hours", 48, 1, 720, "consent this recent counts as a sign-up"),
        Setting("welcome_delay_minutes", 0, 0, 1440, "welcome email after the sign-up"),
        Setting("story_delay_minutes", 2880, 1, 20160, "the shop's story"),
        Setting("bestsellers_delay_minutes", 7200, 2, 43200, "bestsellers"),
        Setting("story_best_time", False, help="the story at the customer's best hour"),
        Setting("bestsellers_best_time", False, help="bestsellers at the customer's best hour"),
        BEST_TIME_WINDOW,
        Setting("first_order_code", True, help="a first-order code in the welcome email"),
        Setting("discount_percent", 10, 1, 50, "the first-order discount"),
        Setting("discount_valid_hours", 168, 1, 720, "how long the code works"),
        Setting("products", 3, 1, 4, "products per block of the third email"),
        *block_settings({"last_viewed": True, "bestsellers": True}),
        *COMMON_SETTINGS,
    ),
    compose=compose,
    consistency=(_steps_in_order,),
)


def _asked_for(shop_id: int) -> bool:
    """The confirmation is the shopper's own request: a sign-up left pending gets it even after
    the merchant switches the welcome series off (else it would wait, unasked, for ever). Only
    pending customers are enrolled, and only a shop asking for double opt-in makes them."""
    return True


CONFIRMATION = Flow(
    key=CONFIRMATION_KEY,
    rank=0,  # transactional: asked for by the shopper, never capped nor held out
    marketing=False,
    triggers={kind: _on_pending for kind in SIGNUP_EVENTS},
    stop_rules={ev.CustomerUpdated: ("no_longer_pending", _confirmed_elsewhere)},
    steps=(Step("email_delay_minutes", "email", "welcome_confirm"),),
    settings=(Setting("email_delay_minutes", 0, 0, 0, "the confirmation goes at once"),),
    checks=(still_waiting,),
    compose=compose_confirmation,
    switch=_asked_for,
)

__all__ = ["CONFIRMATION", "CONFIRMATION_KEY", "FLOW", "KEY", "compose", "signed_up"]
