"""Shop history builders for recommendation tests: products and paid orders via real events."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from app.events import types as ev
from app.events.apply import apply
from app.models import Order, Product, ShopScope, db, utcnow

NOW = utcnow()


def add_product(shop_id: int, pid: str, **fields) -> int:
    in_stock = fields.pop("in_stock", True)
    values = dict(
        shop_id=shop_id,
        product_id=pid,
        title=f"Product {pid}",
        category=fields.pop("category", "General"),
        offer=ev.Offer(price=Decimal(fields.pop("price", "50.00")), stock=None if in_stock else 0),
        updated_at=NOW - timedelta(days=400),
    )
    values.update(fields)
    apply(ev.ProductChanged(**values))
    db.session.flush()
    return ShopScope(shop_id).first(Product, Product.platform_product_id == pid).id


def buy(
    shop_id: int,
    who: str,
    pids: list[str],
    days_ago: float = 10,
    order: str = "",
    variant: str | None = None,
) -> int:
    """A paid order by customer ``who`` of one unit of each product (of ``variant``)."""
    at = NOW - timedelta(days=days_ago)
    order_id = order or f"{who}-{'-'.join(pids)}-{days_ago}"
    apply(
        ev.OrderPaid(
            shop_id=shop_id,
            order_id=order_id,
            customer=ev.Contact(email=f"{who}@example.com", platform_customer_id=who),
            items=tuple(
                ev.LineItem(product_id=p, variant_id=variant, quantity=1, unit_price=Decimal("50"))
                for p in pids
            ),
            total=Decimal(50 * len(pids)),
            created_at=at,
            updated_at=at,
        )
    )
    db.session.flush()
    return ShopScope(shop_id).first(Order, Order.platform_order_id == order_id).id


def catalog(shop_id: int, n: int) -> dict[str, int]:
    return {str(p): add_product(shop_id, str(p)) for p in range(1, n + 1)}
