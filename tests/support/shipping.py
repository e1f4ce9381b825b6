"""Shops with label settings and paid orders, built straight into the tables."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from app.demo.labels import DEMO_SENDER
from app.models import Order, Shop, ShopScope, db
from app.shipping import settings as label_settings

ADDRESS = {
    "first_name": "Ola",
    "last_name": "Nowak",
    "address1": "Długa 5",
    "city": "Kraków",
    "zip": "30-001",
    "country_code": "PL",
}


@pytest.fixture()
def labelled_shop(shop: Shop) -> Shop:
    settings = label_settings.LabelSettings(
        enabled=True, courier="own", trigger="manual", sender=DEMO_SENDER
    )
    label_settings.save(shop.id, settings)
    db.session.commit()
    return shop


@pytest.fixture()
def make_orders(labelled_shop: Shop) -> Callable[..., list[int]]:
    def make(count: int, **overrides: Any) -> list[int]:
        scope = ShopScope(labelled_shop.id)
        start = datetime(2026, 11, 1, tzinfo=UTC)
        existing = len(scope.all(Order))
        rows = []
        for n in range(existing, existing + count):
            values: dict[str, Any] = {
                "platform_order_id": str(7000 + n),
                "order_number": f"#{7000 + n}",
                "total": Decimal("99.00"),
                "shipping_address": ADDRESS,
                "placed_at": start + timedelta(minutes=n),
                "paid_at": start + timedelta(minutes=n),
            }
            values.update(overrides)
            rows.append(scope.add(Order(**values)))
        db.session.commit()
        return [row.id for row in rows]

    return make
