"""The replenishment reminder, declared as data.

The daily replenishment scan (``insights/replenishment.py``) emits ``ReplenishmentDue`` when a
consenting customer's own time since buying a product passed the product's usual gap between
two purchases (the merchant's ``product_days`` for it, else the gap the nightly model learned
from the shop's orders). One email shows the product(s) to buy again, each linked to its
page: one reminder per purchase cycle (the scan records each cycle it reports). Any order
before the send stops it, as do an unsubscribe and withdrawn consent; a product no longer on
sale is left out, and with none left the email is not sent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.emails.context import shop_branding, shop_url
from app.events import types as ev
from app.flows.engine import clock
from app.flows.engine.definition import Enrollment, Flow, Setting, Settings, Step, Verdict
from app.flows.engine.settings import COMMON_SETTINGS
from app.flows.product_blocks import named_block
from app.flows.stop_rules import consent_withdrawn, customer_runs_before
from app.models import Customer, FlowRun, Message, Shop, ShopScope

KEY = "replenishment"
BLOCK = "buy_again"


def _on_due(event: ev.Event, settings: Settings) -> list[Enrollment]:
    assert isinstance(event, ev.ReplenishmentDue)
    customer = ShopScope(event.shop_id).get(Customer, event.customer_id)
    if customer is None or not customer.email or not customer.is_marketing_allowed("email"):
        return []
    # A run per customer and cycle end: products that run out on different days remind apart.
    subject = f"replenish:{customer.id}:{int(event.last_bought_at.timestamp())}"
    context = {"email": customer.email, "product_ids": list(event.product_ids)}
    # Counted from now: the purchase itself (older) must not count as an order since.
    return [Enrollment(subject, customer.id, clock.now(), context)]


def _block(shop: Shop, run: FlowRun, settings: Settings) -> list[dict[str, Any]]:
    ids = [str(pid) for pid in run.context.get("product_ids") or ()]
    return named_block(shop.id, BLOCK, ids, int(settings["products"]))


def still_on_sale(shop: Shop, run: FlowRun, settings: Settings, now: datetime) -> Verdict | None:
    return None if _block(shop, run, settings) else Verdict(stop="nothing_to_show")


def compose(
    shop: Shop, run: FlowRun, step: Step, message: Message, settings: Settings, now: datetime
) -> dict[str, Any]:
    customer = ShopScope(shop.id).get(Customer, run.customer_id) if run.customer_id else None
    assert customer is not None  # the consent guard stopped the run otherwise
    return {
        "shop": shop_branding(shop),
        "shop_url": shop_url(shop),
        "customer": {"first_name": customer.first_name},
        "blocks": _block(shop, run, settings),
    }


FLOW = Flow(
    key=KEY,
    rank=1,  # a reminder the customer can use: after carts, before win-back and welcome
    marketing=True,
    triggers={ev.ReplenishmentDue: _on_due},
    stop_rules={
        ev.OrderCreated: ("order_placed", customer_runs_before(KEY)),
        ev.OrderPaid: ("order_placed", customer_runs_before(KEY)),
        ev.CustomerUpdated: ("consent_withdrawn", consent_withdrawn),
    },
    steps=(Step("email_delay_minutes", "email", "replenishment"),),
    settings=(
        Setting(
            "product_days",
            {},
            1,
            730,
            help="your own gap for a product (product id -> days), instead of the learned one",
        ),
        Setting("email_delay_minutes", 0, 0, 10080, "email after the gap has passed"),
        Setting("products", 3, 1, 4, "how many products the email shows"),
        *COMMON_SETTINGS,
    ),
    checks=(still_on_sale,),
    compose=compose,
)

__all__ = ["FLOW", "KEY", "compose"]
