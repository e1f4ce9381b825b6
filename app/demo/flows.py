"""Play a customer against the running demo for the cross-sell, win-back and birthday flows.

Like ``demo_cart``: signed demo-platform webhooks go to our own ``/webhooks/demo`` (the whole
pipeline runs) and the demo shop's flow is switched on with a fast clock, minutes instead of
days: the cross-sell email a minute after a paid order; the win-back emails right after the
idle scan finds a customer whose only order is 120 days old, and two minutes later.
A birthday: a shopper whose birthday is three days away, and the birthday scan run at once
with the send hour set to this hour, so the wish and its gift code go out within a minute.
The commands find the running demo's web URL and Redis by themselves (``service.py``).
"""

from __future__ import annotations

import time
import uuid
from datetime import date, timedelta
from typing import Any

import requests

from app.demo.deliveries import post
from app.demo.history import seed_history
from app.demo.shoppers import order_payload
from app.demo.shops import boutique
from app.flows import birthday, cross_sell, reactivation
from app.flows.engine.settings import save_settings
from app.insights.birthdays import scan_birthdays
from app.insights.idle import scan_customers
from app.insights.recommendation_model import refresh_recommendations
from app.models import Customer, Order, Recommendation, Shop, ShopScope, db, utcnow

_NO_WAITING = {"quiet_hours_enabled": False, "frequency_cap_hours": 0, "holdout_percent": 0}
CROSS_SELL_FAST = {"email_delay_minutes": 1, "upsell": True, **_NO_WAITING}
WINBACK_FAST = {
    "email_1_delay_minutes": 0,
    "email_2_delay_minutes": 2,
    "discount": True,  # off by default; on here so the demo shows the code
    **_NO_WAITING,
}


def ensure_recommendations(shop: Shop) -> bool:
    """Give the demo shop an order history to learn from, once; True when it had to."""
    if ShopScope(shop.id).first(Recommendation) is not None:
        return False
    seed_history(shop)
    refresh_recommendations(shop.id)
    db.session.commit()
    return True


def buy_now(email: str) -> tuple[Shop, requests.Response]:
    """A paid order of the linen shirt and the scarf; its cross-sell email comes a minute on."""
    shop = boutique()
    ensure_recommendations(shop)
    save_settings(shop.id, cross_sell.FLOW, CROSS_SELL_FAST, enabled=True)
    db.session.commit()
    return shop, post(shop, "order/paid", order_payload(f"demo-{uuid.uuid4().hex[:8]}", email))


def lapsed_order(email: str, days_ago: int = 120) -> dict[str, Any]:
    """The customer's one order, long ago (created, not paid: it starts no cross-sell)."""
    payload = order_payload(f"demo-{uuid.uuid4().hex[:8]}", email)
    placed = (utcnow() - timedelta(days=days_ago)).isoformat()
    customer = {**payload["customer"], "first_name": "Marek"}
    return {
        **payload,
        "customer": customer,
        "paid": False,
        "created_at": placed,
        "updated_at": placed,
    }


def go_idle(email: str, wait_seconds: float = 30) -> tuple[Shop, requests.Response, int]:
    """Post the lapsed order, wait for the worker to store it, then run the idle scan here.

    The scan runs in this process (as the daily job would in the worker); what it enqueues
    goes to the running service's Redis (the command is pointed at it).
    """
    shop = boutique()
    ensure_recommendations(shop)
    save_settings(shop.id, reactivation.FLOW, WINBACK_FAST, enabled=True)
    db.session.commit()
    payload = lapsed_order(email)
    response = post(shop, "order/created", payload)
    wait_for_order(shop.id, payload["id"], wait_seconds)
    return shop, response, scan_customers(shop.id)["idle"]


def wait_for_order(shop_id: int, order_id: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while ShopScope(shop_id).first(Order, Order.platform_order_id == order_id) is None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the worker did not store order {order_id}: is `make run` up?")
        db.session.rollback()  # a fresh snapshot on the next look
        time.sleep(0.5)


def birthday_in(days: int, today: date) -> date:
    """A birth date (28 years ago: a leap day stays a leap day) whose birthday is ``days`` on."""
    soon = today + timedelta(days=days)
    return soon.replace(year=soon.year - 28)


def birthday_soon(email: str, wait_seconds: float = 30) -> tuple[Shop, requests.Response, int]:
    """Post the shopper's profile with a birthday three days away, wait for the worker to
    store it, then run the birthday scan here with this hour as the sending hour."""
    shop = boutique()
    now = utcnow()
    local = now.astimezone(shop.zone)
    fast = {"days_before": 3, "send_hour": local.hour, "gift_code": True, **_NO_WAITING}
    save_settings(shop.id, birthday.FLOW, fast, enabled=True)
    db.session.commit()
    payload = {
        "id": f"demo-{uuid.uuid4().hex[:8]}",
        "email": email,
        "first_name": "Ola",
        "locale": shop.locale,
        "accepts_marketing": True,
        "birthday": birthday_in(3, local.date()).isoformat(),
        "updated_at": now.isoformat(),
    }
    response = post(shop, "customer/updated", payload)
    _wait_for_birthday(shop.id, email.lower(), wait_seconds)
    return shop, response, scan_birthdays(shop.id)


def _wait_for_birthday(shop_id: int, email: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while (
        ShopScope(shop_id).first(Customer, Customer.email == email, Customer.birthday.is_not(None))
        is None
    ):
        if time.monotonic() > deadline:
            raise TimeoutError(f"the worker did not store {email}'s birthday: is `make run` up?")
        db.session.rollback()  # a fresh snapshot on the next look
        time.sleep(0.5)
