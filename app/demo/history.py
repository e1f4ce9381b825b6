"""A believable order history for the demo shop, so recommendations and segments have data.

Shoppers of the demo boutique favour a few outfits (shirt with tie, chinos with belt, sweater
with scarf) and come back every one to three months; some stopped coming. Orders go through
``events.apply`` like real ones. Customers' marketing consent stays unknown, so no flow mails
these generated people.
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from app.demo.shops import CATALOG
from app.events import types as ev
from app.events.apply import apply
from app.models import Shop, db, utcnow

OUTFITS = [("1001", "1007"), ("1004", "1003"), ("1006", "1002")]
PRICES = {pid: Decimal(price) for pid, _title, _category, price in CATALOG}


def _basket(rng: random.Random, outfit: tuple[str, str]) -> list[str]:
    """Usually part or all of the shopper's outfit, sometimes something else."""
    if rng.random() < 0.25:
        return [rng.choice(list(PRICES))]
    return list(outfit) if rng.random() < 0.6 else [rng.choice(outfit)]


def seed_history(shop: Shop, customers: int = 120, seed: int = 7) -> int:
    """Add the generated orders (idempotent: same ids each time); returns how many."""
    rng = random.Random(seed)
    now, count = utcnow(), 0
    for n in range(customers):
        outfit = OUTFITS[n % len(OUTFITS)]
        contact = ev.Contact(email=f"demo-shopper{n}@example.com", platform_customer_id=f"d{n}")
        at = now - timedelta(days=rng.randint(120, 400))
        while at < now:
            items = tuple(
                ev.LineItem(product_id=pid, unit_price=PRICES[pid]) for pid in _basket(rng, outfit)
            )
            apply(
                ev.OrderPaid(
                    shop_id=shop.id,
                    order_id=f"demo-history-{n}-{count}",
                    customer=contact,
                    items=items,
                    total=sum((i.unit_price for i in items), Decimal("0")),
                    currency=shop.currency,
                    created_at=at,
                    paid_at=at,
                    updated_at=at,
                )
            )
            count += 1
            at += timedelta(days=rng.randint(20, 100) * (3 if n % 5 == 0 else 1))
    db.session.commit()
    return count
