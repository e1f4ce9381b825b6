"""The birthday flow, declared as data.

The birth date comes from the shop: Shopify's customer metafield the merchant names here
(``birthday_metafield``, ``namespace.key``; Shopify's own "Birth date" definition,
``facts.birth_date``, by default), or the optional birthday field our WordPress plugin adds to
WooCommerce's checkout and account pages. The hourly birthday scan (``insights/birthdays.py``)
emits ``BirthdayComing`` ``days_before`` days ahead; one email goes at ``send_hour`` in the
shop's timezone that day, with a single-use gift code valid ``discount_valid_days`` days (when
``gift_code`` is on), and an optional text message to those who agreed to texts.

Once a year per customer (the scan records each year's find; a run per customer and year),
only with marketing consent; an order, an unsubscribe or withdrawn consent before the send
stops it. 29 February is celebrated on 28 February in other years (see the scan).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from app.emails.context import shop_branding, shop_url
from app.events import types as ev
from app.flows.discounts import discount_context, discount_for
from app.flows.engine.definition import Enrollment, Flow, Setting, Settings, Step
from app.flows.engine.settings import COMMON_SETTINGS
from app.flows.stop_rules import consent_withdrawn, customer_runs_before
from app.models import (
    BIRTHDAY_FLOW_KEY,
    Customer,
    FlowRun,
    Message,
    Shop,
    ShopScope,
)
from app.models.lifecycle import DEFAULT_BIRTHDAY_METAFIELD

KEY = BIRTHDAY_FLOW_KEY
_METAFIELD = re.compile(r"^[A-Za-z0-9_\-]{2,255}\.[A-Za-z0-9_\-]{2,64}$")


def _on_birthday(event: ev.Event, settings: Settings) -> list[Enrollment]:
    assert isinstance(event, ev.BirthdayComing)
    scope = ShopScope(event.shop_id)
    customer = scope.get(Customer, event.customer_id)
    if customer is None or not customer.email or not customer.is_marketing_allowed("email"):
        return []
    subject = f"birthday:{customer.id}:{event.birthday.year}"
    if scope.first(FlowRun, FlowRun.flow_key == KEY, FlowRun.subject_key == subject):
        return []  # once a year, whatever became of this year's run
    context = {
        "email": customer.email,
        "phone": customer.phone,
        "birthday": event.birthday.isoformat(),
    }
    return [Enrollment(subject, customer.id, event.send_at, context)]


def _metafield_named(settings: Settings) -> str | None:
    if not _METAFIELD.match(str(settings["birthday_metafield"])):
        return "the birthday metafield must be namespace.key, e.g. facts.birth_date"
    return None


def compose(
    shop: Shop, run: FlowRun, step: Step, message: Message, settings: Settings, now: datetime
) -> dict[str, Any]:
    customer = ShopScope(shop.id).get(Customer, run.customer_id) if run.customer_id else None
    assert customer is not None  # the consent guard stopped the run otherwise
    gift = None
    if step.discount and settings["gift_code"]:
        # The gift lasts days, not hours: the shared code maker reads hours.
        hours = {**settings, "discount_valid_hours": int(settings["discount_valid_days"]) * 24}
        gift = discount_for(shop, message, hours, now, title="Storeflow birthday", prefix="BDAY")
    return {
        "shop": shop_branding(shop),
        "shop_url": shop_url(shop),
        "customer": {"first_name": customer.first_name},
        "discount": discount_context(gift),
    }


FLOW = Flow(
    key=KEY,
    rank=1,  # after abandoned carts; a birthday wish goes before win-back and welcome emails
    marketing=True,
    triggers={ev.BirthdayComing: _on_birthday},
    stop_rules={
        ev.OrderCreated: ("order_placed", customer_runs_before(KEY)),
        ev.OrderPaid: ("order_placed", customer_runs_before(KEY)),
        ev.CustomerUpdated: ("consent_withdrawn", consent_withdrawn),
    },
    steps=(
        # The run's anchor is the sending time the scan chose (send_hour, shop's timezone).
        Step("", "email", "birthday", discount=True),
        Step("", "sms", "birthday", enabled_setting="birthday_sms"),
    ),
    settings=(
        Setting("days_before", 3, 0, 30, "days before the birthday the email goes"),
        Setting("send_hour", 10, 0, 23, "hour of the day (shop's time) it goes"),
        Setting("gift_code", True, help="a single-use birthday code in the email"),
        Setting("discount_percent", 15, 1, 50, "the birthday discount"),
        Setting("discount_valid_days", 14, 1, 60, "how long the code works"),
        Setting("birthday_sms", False, help="text the wish too (SMS consent + gateway)"),
        Setting(
            "birthday_metafield",
            DEFAULT_BIRTHDAY_METAFIELD,
            help="Shopify: the customer metafield holding the birth date (namespace.key)",
        ),
        *COMMON_SETTINGS,
    ),
    compose=compose,
    consistency=(_metafield_named,),
)

__all__ = ["FLOW", "KEY", "compose"]
