"""The price-drop alert, declared as data (off until the merchant switches it on).

When the catalog writer sees a product's price fall by at least ``min_drop_percent`` (10 %),
the alert job (``watchers.py``) finds, in one query, the consenting shoppers who viewed it in
the last ``viewed_within_days`` (30) or have it in a cart, have not bought it since, are not
unsubscribed, saw it at least that much dearer, and were not told of it within
``product_cooldown_days`` (30). Each gets one email with the price they saw struck through
beside today's, and a link to the product; more products dropping while it waits join it.

Ranked below abandoned cart in the frequency cap. An order, withdrawn consent or an
unsubscribe stops the run; so does the price going back up (nothing left to tell).
"""

from __future__ import annotations

from typing import Any

from app.events import types as ev
from app.flows import alerts
from app.flows.engine.definition import Enrollment, Flow, Setting, Settings, Step
from app.flows.engine.settings import COMMON_SETTINGS
from app.flows.product_blocks import block_settings
from app.flows.stop_rules import consent_withdrawn, customer_runs_before

KEY = "price_drop"


def _on_drop(event: ev.Event, settings: Settings) -> list[Enrollment]:
    assert isinstance(event, ev.PriceDropped)
    products: list[dict[str, Any]] = [
        {
            "product_id": d.product_id,
            "old_price": str(d.old_price),
            "new_price": str(d.new_price),
            **({"variant_id": d.variant_id} if d.variant_id else {}),
        }
        for d in event.drops
    ]
    return alerts.enrollment(KEY, event.shop_id, event.customer_id, products)


FLOW = Flow(
    key=KEY,
    rank=1,  # below abandoned cart (0) in the frequency cap: a cart reminder always wins
    marketing=True,
    triggers={ev.PriceDropped: _on_drop},
    stop_rules={
        ev.OrderCreated: ("order_placed", customer_runs_before(KEY)),
        ev.OrderPaid: ("order_placed", customer_runs_before(KEY)),
        ev.CustomerUpdated: ("consent_withdrawn", consent_withdrawn),
    },
    steps=(Step("email_delay_minutes", "email", "price_drop"),),
    settings=(
        Setting("min_drop_percent", 10, 1, 90, "a price that fell at least this much"),
        Setting("viewed_within_days", 30, 1, 90, "shoppers who viewed it this recently"),
        Setting("product_cooldown_days", 30, 1, 365, "never the same product again sooner"),
        Setting("email_delay_minutes", 0, 0, 10080, "email after the price fell"),
        Setting("products", 3, 1, 4, "products per block"),
        *block_settings({"recommended": True}),
        *COMMON_SETTINGS,
    ),
    checks=(alerts.still_news(KEY),),
    compose=alerts.composer(KEY),
)

__all__ = ["FLOW", "KEY"]
