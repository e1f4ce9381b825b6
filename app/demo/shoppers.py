"""Play a shopper against the running demo: abandon a cart, later buy it.

The commands post signed demo-platform webhooks to the service's ``/webhooks/demo`` (so the
whole pipeline runs: signature, stored delivery, worker, flows) and switch the demo shop's
abandoned-cart flow to a fast clock: reminders 1, 2 and 3 minutes after the cart was left, no
quiet hours, no cap.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from app.demo.shops import CATALOG, DEMO_DOMAIN
from app.flows import abandoned_cart
from app.flows.engine.settings import save_settings
from app.models import Shop, db, utcnow

FAST_CLOCK = {
    "inactivity_minutes": 1,
    "email_1_delay_minutes": 1,
    "email_2_delay_minutes": 2,
    "email_3_delay_minutes": 3,
    "quiet_hours_enabled": False,
    "frequency_cap_hours": 0,
    "holdout_percent": 0,
}


def use_fast_clock(shop: Shop) -> None:
    """Turn the demo shop's abandoned-cart flow on with minutes instead of hours."""
    save_settings(shop.id, abandoned_cart.FLOW, FAST_CLOCK, enabled=True)
    db.session.commit()


def cart_payload(cart_key: str, email: str) -> dict[str, Any]:
    picked = CATALOG[:2]
    items = [
        {
            "product_id": pid,
            "quantity": 1,
            "price": price,
            "title": title,
            "url": f"https://{DEMO_DOMAIN}/products/{pid}",
            "image_url": f"https://picsum.photos/seed/{pid}/300/300",
        }
        for pid, title, _category, price in picked
    ]
    return {
        "cart_key": cart_key,
        "customer": {"email": email, "first_name": "Ania", "accepts_marketing": True},
        "items": items,
        "total": str(sum(Decimal(price) for *_rest, price in picked)),
        "currency": "PLN",
        "updated_at": utcnow().isoformat(),
    }


def order_payload(cart_key: str, email: str) -> dict[str, Any]:
    cart = cart_payload(cart_key, email)
    now = utcnow().isoformat()
    return {
        "id": f"demo-order-{uuid.uuid4().hex[:8]}",
        "cart_key": cart_key,
        "customer": cart["customer"],
        "items": cart["items"],
        "total": cart["total"],
        "currency": "PLN",
        "paid": True,
        # Where the parcel goes: the demo shop prints a label for every paid order.
        "shipping_address": {
            "first_name": "Ania",
            "last_name": "Kowalska",
            "address1": "ul. Długa 5",
            "city": "Kraków",
            "zip": "30-001",
            "country_code": "PL",
        },
        "created_at": now,
        "updated_at": now,
    }
