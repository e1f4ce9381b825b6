"""The browse-abandonment flow, declared as data.

The browse scan (``app/insights/browsing.py``, every 10 minutes) emits ``ProductsBrowsed`` for
a known, consenting customer who viewed a product at least ``min_views`` times (2), then for
``wait_minutes`` (4 h) added nothing to a cart and ordered nothing. One email follows, showing
the products they looked at first, then what goes with them and what they looked at that is
now cheaper (product blocks; an empty one is left out). The scan never reports the same
product for a customer twice within ``product_cooldown_days`` (30).

A cart, an order, withdrawn consent or an unsubscribe stops the run; so does the products
having gone (nothing left to show). Ranked below abandoned cart in the frequency cap: a cart
reminder always wins, and a browse email never holds one back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.emails.context import shop_branding, shop_url
from app.events import types as ev
from app.flows.engine import clock
from app.flows.engine.definition import Enrollment, Flow, Setting, Settings, Step, Verdict
from app.flows.engine.settings import COMMON_SETTINGS
from app.flows.product_blocks import block_settings, blocks_for, chosen
from app.flows.stop_rules import consent_withdrawn, customer_runs_before
from app.insights.browsing import FLOW_KEY, cart_time
from app.models import Cart, Customer, FlowRun, Message, Order, Shop, ShopScope

KEY = FLOW_KEY
# What the email shows, in this order; the first block is the one the email is about (always
# shown), the others the merchant may switch off.
BLOCKS = ("last_viewed", "recommended", "discounted")
OPTIONAL_BLOCKS = BLOCKS[1:]


def _on_browsed(event: ev.Event, settings: Settings) -> list[Enrollment]:
    assert isinstance(event, ev.ProductsBrowsed)
    customer = ShopScope(event.shop_id).get(Customer, event.customer_id)
    if customer is None or not customer.email or not customer.is_marketing_allowed("email"):
        return []
    subject = f"customer:{customer.id}"
    active = ShopScope(event.shop_id).first(
        FlowRun, FlowRun.flow_key == KEY, FlowRun.subject_key == subject, FlowRun.state == "active"
    )
    # Still waiting to send about earlier products: the new ones join them.
    earlier = list(active.context.get("product_ids", [])) if active is not None else []
    context = {
        "email": customer.email,
        "product_ids": list(dict.fromkeys([*event.product_ids, *earlier])),
        "first_viewed_at": event.first_viewed_at.isoformat(),
    }
    # The delay counts from the finding: the views are already ``wait_minutes`` old.
    return [Enrollment(subject, customer.id, clock.now(), context)]


def _carted(event: ev.Event) -> list[sa.ColumnElement[bool]]:
    """The shopper's run, when they put something in a cart."""
    assert isinstance(event, ev.CartUpdated)
    if event.is_empty:
        return []
    cart = ShopScope(event.shop_id).by_key(Cart, "cart_key", event.cart_key)
    if cart is None or cart.customer_id is None:
        return []
    return [FlowRun.customer_id == cart.customer_id]


def _since(run: FlowRun) -> datetime:
    return datetime.fromisoformat(run.context["first_viewed_at"])


def still_browsing_only(
    shop: Shop, run: FlowRun, settings: Settings, now: datetime
) -> Verdict | None:
    """At send time: no cart and no order since the first view, and something left to show."""
    scope = ShopScope(shop.id)
    since = _since(run)
    if scope.first(Cart, Cart.customer_id == run.customer_id, cart_time() >= since):
        return Verdict(stop="cart_started")
    if scope.first(Order, Order.customer_id == run.customer_id, Order.placed_at >= since):
        return Verdict(stop="order_placed")
    if run.customer_id is None or not _blocks(shop.id, run, settings)[:1]:
        return Verdict(stop="nothing_to_show")
    return None


def _blocks(shop_id: int, run: FlowRun, settings: Settings) -> list[dict[str, Any]]:
    focus = [str(p) for p in run.context.get("product_ids", [])]
    assert run.customer_id is not None
    kinds = [BLOCKS[0], *chosen(settings, OPTIONAL_BLOCKS)]
    blocks = blocks_for(shop_id, run.customer_id, kinds, int(settings["products"]), focus)
    # The email is about what they looked at: without it the other blocks have no reason.
    return blocks if blocks and blocks[0]["kind"] == "last_viewed" else []


def compose(
    shop: Shop, run: FlowRun, step: Step, message: Message, settings: Settings, now: datetime
) -> dict[str, Any]:
    customer = ShopScope(shop.id).get(Customer, run.customer_id) if run.customer_id else None
    assert customer is not None  # the consent guard stopped the run otherwise
    return {
        "shop": shop_branding(shop),
        "shop_url": shop_url(shop),
        "customer": {"first_name": customer.first_name},
        "blocks": _blocks(shop.id, run, settings),
    }


FLOW = Flow(
    key=KEY,
    rank=1,  # below abandoned cart (0) in the frequency cap: a cart reminder always wins
    marketing=True,
    triggers={ev.ProductsBrowsed: _on_browsed},
    stop_rules={
        ev.CartUpdated: ("cart_started", _carted),
        ev.OrderCreated: ("order_placed", customer_runs_before(KEY)),
        ev.OrderPaid: ("order_placed", customer_runs_before(KEY)),
        ev.CustomerUpdated: ("consent_withdrawn", consent_withdrawn),
    },
    steps=(Step("email_delay_minutes", "email", "browse_abandonment"),),
    settings=(
        Setting("min_views", 2, 1, 20, "views of one product that count as interest"),
        Setting("wait_minutes", 240, 1, 10080, "quiet this long after the last view"),
        Setting("lookback_hours", 72, 1, 720, "views older than this do not count"),
        Setting("product_cooldown_days", 30, 1, 365, "never the same product again sooner"),
        Setting("email_delay_minutes", 0, 0, 10080, "email after the scan finds them"),
        Setting("products", 3, 1, 4, "products per block"),
        *block_settings({"recommended": True, "discounted": True}),
        *COMMON_SETTINGS,
    ),
    checks=(still_browsing_only,),
    compose=compose,
)

__all__ = ["BLOCKS", "FLOW", "KEY", "compose"]
