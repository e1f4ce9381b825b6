"""The reactivation (win-back) flow, declared as data.

The daily customer scan (``idle.py``) emits ``CustomerIdle`` for customers whose last order is
older than their own rhythm. A customer who agreed to marketing email, and who reaches the
shop's optional RFM floor (e.g. ``min_monetary_score`` 3: only the better spenders), gets:

1. a personal "do you remember us?" email that asks rather than pushes, with products picked
   for them from what they bought (``recommend_for_customer``);
2. seven days later (setting) a last hello, with a single-use discount only when the merchant
   turned ``discount`` on (off by default).

Any order, an unsubscribe or withdrawn consent stops the run.

Daily enrollment cap: the first scan of an established shop can find thousands of customers
idle at once. At most ``daily_enrollment_cap`` customers (default 200) start the sequence per
day; the rest are not dropped but enrolled for the next day with room, in the order the scan
found them, and their sequence starts that day (the run exists at once, so the merchant sees
them waiting and any order they place meanwhile still stops it).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.emails.context import shop_branding, shop_url
from app.events import types as ev
from app.flows.discounts import discount_context, discount_for
from app.flows.engine import clock
from app.flows.engine.definition import Enrollment, Flow, Setting, Settings, Step
from app.flows.engine.settings import BEST_TIME_WINDOW, COMMON_SETTINGS
from app.flows.stop_rules import consent_withdrawn, customer_runs_before
from app.insights.recommendations import recommend_for_customer
from app.insights.segments import rfm_at_least
from app.models import Customer, FlowRun, Message, Shop, ShopScope, db

KEY = "reactivation"
_SEATS = "reactivation_seats"  # session.info key: {shop id: (day, customers enrolled on it)}
_RFM_FLOOR = {
    "recency": "min_recency_score",
    "frequency": "min_frequency_score",
    "monetary": "min_monetary_score",
}


def _on_idle(event: ev.Event, settings: Settings) -> list[Enrollment]:
    assert isinstance(event, ev.CustomerIdle)
    customer = ShopScope(event.shop_id).get(Customer, event.customer_id)
    if customer is None or not customer.email or not customer.is_marketing_allowed("email"):
        return []
    if not meets_rfm_floor(customer, settings) or _waiting(event.shop_id, customer.id):
        return []
    now = clock.now()
    day = _take_seat(event.shop_id, now.date(), int(settings["daily_enrollment_cap"]))
    context = {"email": customer.email, "enroll_day": day.isoformat(), "idle_days": event.days_idle}
    anchor = now + timedelta(days=(day - now.date()).days)
    return [Enrollment(f"customer:{customer.id}", customer.id, anchor, context)]


def _waiting(shop_id: int, customer_id: int) -> bool:
    """Already enrolled (perhaps queued behind the daily cap for longer than the cooldown):
    a second idle finding must not move the customer's place or take a second seat."""
    return (
        ShopScope(shop_id).first(
            FlowRun,
            FlowRun.flow_key == KEY,
            FlowRun.subject_key == f"customer:{customer_id}",
            FlowRun.state == "active",
        )
        is not None
    )


def meets_rfm_floor(customer: Customer, settings: Settings) -> bool:
    """With every floor at 1 there is no condition (an unscored customer passes too)."""
    floor = {score: int(settings[key]) for score, key in _RFM_FLOOR.items()}
    if all(value <= 1 for value in floor.values()):
        return True
    return rfm_at_least(customer, **floor)


def first_day_with_room(shop_id: int, today: date, cap: int) -> date:
    """The day this enrollment counts against: today, or the first later day under the cap."""
    return _next_seat(shop_id, today, cap)[0]


def _next_seat(shop_id: int, today: date, cap: int) -> tuple[date, int]:
    """(day with room, customers already enrolled on it).

    Every run ever enrolled on a day keeps its place (ended ones too), so days fill in order
    and only the latest day in use can have room: one grouped query, not a walk over days.
    """
    day = _enroll_day()
    latest = db.session.execute(
        ShopScope(shop_id)
        .select(FlowRun, FlowRun.flow_key == KEY, day >= today.isoformat())
        .with_only_columns(day, sa.func.count())
        .group_by(day)
        .order_by(day.desc())
        .limit(1)
    ).first()
    if latest is None:
        return today, 0
    last_day, taken = date.fromisoformat(latest[0]), int(latest[1])
    return (last_day, taken) if taken < cap else (last_day + timedelta(days=1), 0)


def _enroll_day() -> sa.ColumnElement[str]:
    return FlowRun.context["enroll_day"].as_string()


def _take_seat(shop_id: int, today: date, cap: int) -> date:
    """The enrollment day of the next customer, counted in memory within the transaction.

    A first scan emits thousands of ``CustomerIdle`` in one transaction; asking the database
    for the latest day each time would re-read every waiting run for every customer.
    """
    seats: dict[int, tuple[date, int]] = db.session.info.setdefault(_SEATS, {})
    day, taken = seats[shop_id] if shop_id in seats else _next_seat(shop_id, today, cap)
    if taken >= cap:
        day, taken = day + timedelta(days=1), 0
    seats[shop_id] = (day, taken + 1)
    return day


@sa.event.listens_for(Session, "after_transaction_end")
def _forget_seats(session: Session, transaction: Any) -> None:
    # What another transaction enrolled is only known to the database: count anew.
    session.info.pop(_SEATS, None)


def compose(
    shop: Shop, run: FlowRun, step: Step, message: Message, settings: Settings, now: datetime
) -> dict[str, Any]:
    customer = ShopScope(shop.id).get(Customer, run.customer_id) if run.customer_id else None
    assert customer is not None  # the consent guard stopped the run otherwise
    picks = recommend_for_customer(shop.id, customer.id, limit=int(settings["products"]) + 4)
    offer = step.discount and bool(settings["discount"])
    discount = (
        discount_for(shop, message, settings, now, title="Storeflow win-back", prefix="HELLO")
        if offer
        else None
    )
    return {
        "shop": shop_branding(shop),
        "shop_url": shop_url(shop),
        "customer": {"first_name": customer.first_name},
        "recommendations": [s.card() for s in picks if s.price is not None][
            : int(settings["products"])
        ],
        "discount": discount_context(discount),
    }


def _steps_in_order(settings: Settings) -> str | None:
    if int(settings["email_2_delay_minutes"]) <= int(settings["email_1_delay_minutes"]):
        return "the second email must come after the first"
    return None


FLOW = Flow(
    key=KEY,
    rank=2,  # the least urgent: abandoned carts and cross-sells go first in the cap
    marketing=True,
    triggers={ev.CustomerIdle: _on_idle},
    stop_rules={
        ev.OrderCreated: ("order_placed", customer_runs_before(KEY)),
        ev.OrderPaid: ("order_placed", customer_runs_before(KEY)),
        ev.CustomerUpdated: ("consent_withdrawn", consent_withdrawn),
    },
    steps=(
        Step(
            "email_1_delay_minutes",
            "email",
            "reactivation_1",
            best_time_setting="email_1_best_time",
        ),
        Step(
            "email_2_delay_minutes",
            "email",
            "reactivation_2",
            discount=True,
            best_time_setting="email_2_best_time",
        ),
    ),
    settings=(
        Setting("idle_days", 90, 14, 3650, "idle after this many days (or their rhythm)"),
        Setting("cooldown_days", 180, 30, 3650, "never the same customer again sooner"),
        Setting("email_1_delay_minutes", 0, 0, 10080, "first email after the scan"),
        Setting("email_2_delay_minutes", 7 * 1440, 1, 60 * 1440, "second email"),
        Setting("email_1_best_time", False, help="first email at the customer's best hour"),
        Setting("email_2_best_time", False, help="second email at the customer's best hour"),
        BEST_TIME_WINDOW,
        Setting("products", 3, 0, 4, "how many products picked for them the emails show"),
        Setting("discount", False, help="offer a single-use code in the second email"),
        Setting("discount_percent", 10, 1, 50, "the second email's discount"),
        Setting("discount_valid_hours", 168, 1, 720, "how long the code works"),
        Setting("min_recency_score", 1, 1, 5, "only customers with at least this R score"),
        Setting("min_frequency_score", 1, 1, 5, "only customers with at least this F score"),
        Setting("min_monetary_score", 1, 1, 5, "only customers with at least this M score"),
        Setting("daily_enrollment_cap", 200, 1, 100_000, "most customers started per day"),
        *COMMON_SETTINGS,
    ),
    compose=compose,
    consistency=(_steps_in_order,),
)

__all__ = ["FLOW", "KEY", "compose", "first_day_with_room", "meets_rfm_floor"]
